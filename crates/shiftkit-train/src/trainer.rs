use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::{DataLoader, DataLoaderIterator};
use burn::module::{AutodiffModule, Module, ModuleDisplay};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use shiftkit_align::{CentroidAligner, CentroidAlignerConfig};
use shiftkit_data::DomainBatch;
use shiftkit_grl::{GradientReversalBackend, GradientReversalConfig, GradientReversalLayer};
use shiftkit_nn::{DomainDiscriminator, DomainDiscriminatorConfig, Encoder};

use crate::evaluate::{EvalResult, count_correct, evaluate};
use crate::host::host_backend;
use crate::observer::{Silent, StepReport, TrainObserver};
use crate::optim::Adam;
use crate::schedule::{Pairing, ScheduleGranularity, scheduled_alpha, scheduled_lr};
use crate::split::SplitGraphs;
use crate::{DannConfig, DannModel, EpochRecord, TrainError};

/// A data loader of one domain's batches, as Burn builds them.
pub type DomainLoader<B, const D: usize> = Arc<dyn DataLoader<B, DomainBatch<B, D>>>;

/// Adversarial domain adaptation (DANN), with optional MSTN centroid alignment.
///
/// Each step draws a labelled source batch `(x_s, y_s)` and a target batch `x_t`, and
/// minimises, with one backward pass and one Adam step over the encoder and the
/// discriminator together:
///
/// ```text
/// z_s = encode(x_s)        z_t = encode(x_t)
/// ce       = CE(classify(z_s), y_s)
/// domain   = BCE_logits(discriminator(GRL_alpha([z_s; z_t])), [0 .. 0, 1 .. 1])
/// semantic = MSTN(z_s, y_s, z_t, argmax classify(z_t))         (when semantic_weight > 0)
/// total    = ce + domain_weight * domain + semantic_weight * semantic
/// ```
///
/// Source is domain 0, target domain 1. The reversal makes the discriminator learn to tell the
/// domains apart while the encoder learns to make that impossible.
///
/// # Schedule and warmup
///
/// `alpha_p = alpha * (2 / (1 + exp(-gamma p)) - 1)`, with `p` going from 0 to 1 over the
/// adaptation phase only (after warmup), per step by default. During the `warmup_epochs`
/// first epochs only the cross-entropy is trained: alpha is 0, the discriminator and the
/// alignment are not trained (their parameters and state do not change). `p` is measured
/// against the epochs planned so far: a second `fit` extends the plan and `p` continues from
/// its share of the new plan.
///
/// # Pairing
///
/// By default the shorter loader is cycled so each epoch covers the longer one
/// ([`Pairing::Cycle`]): with a small target set, stopping at the shorter loader (ShiftKit's
/// behaviour, [`Pairing::Shortest`]) leaves too few adaptation steps for the adversarial game
/// to settle.
///
/// # Threads
///
/// With [`DannConfig::parallel_domains`] (the default) on a CPU backend (flex, ndarray), the
/// source's and the target's encoder passes run on two threads: the backward passes always (the
/// target is encoded by a fork of the encoder, the losses see detached copies of the features,
/// and the two encoder graphs are differentiated apart with the features' gradients, then
/// summed), the forward passes when the encoder's
/// [`encode_pair`](shiftkit_nn::Encoder::encode_pair) does so (the reference CNN on the CPU).
/// The result is the one-thread step's up to the order of floating-point sums, and as
/// reproducible: every random draw and running-statistics update keeps its order. On other
/// backends (a GPU) the step stays on one thread.
///
/// # Observability
///
/// [`fit`](Self::fit) returns one [`EpochRecord`] per epoch; [`fit_observed`](Self::fit_observed)
/// also reports every step and epoch to a [`TrainObserver`]. The target accuracy `tgt_acc` is
/// measured by an evaluation-mode forward pass of the target batch (dropout off, batch norm on
/// its running statistics, which it does not update), so tracking never disturbs training.
///
/// # Errors
///
/// Everything that can be checked is checked before any training, in [`new`](Self::new):
/// hyper-parameters, empty loaders, class counts, label ranges, batch lengths. During training,
/// a non-finite loss stops [`fit`](Self::fit) with [`TrainError::NonFiniteLoss`], leaving the
/// model, discriminator and alignment state as they were after the last good step.
pub struct DannTrainer<B, M, const D: usize>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: ModuleDisplay,
{
    config: DannConfig,
    device: B::Device,
    /// Whether the backend computes in host memory, where the two domains' passes can run on
    /// two threads.
    host: bool,
    model: Option<DannModel<B, M>>,
    optimizer: OptimizerAdaptor<Adam, DannModel<B, M>, B>,
    grl: GradientReversalLayer,
    aligner: Option<CentroidAligner<B>>,
    source: DomainLoader<B, D>,
    target: DomainLoader<B, D>,
    source_batches: usize,
    target_batches: usize,
    epochs_done: usize,
    steps_done: usize,
    adaptation_steps_done: usize,
    history: Vec<EpochRecord>,
    domain_targets: Option<(usize, usize, Tensor<B, 1>)>,
}

/// The numbers one step reads back from the device, in one transfer.
struct StepNumbers {
    ce: f64,
    domain: f64,
    semantic: f64,
    total: f64,
    source_correct: f64,
    disc_correct: f64,
    latent_norm_sum: f64,
    source_seen: usize,
    disc_seen: usize,
}

/// Running sums over an epoch.
#[derive(Default)]
struct EpochSums {
    ce: f64,
    domain: f64,
    semantic: f64,
    total: f64,
    source_correct: f64,
    source_seen: usize,
    disc_correct: f64,
    disc_seen: usize,
    latent_norm: f64,
    steps: usize,
}

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
{
    /// Builds a trainer for `model`, a labelled `source` loader and a `target` loader (whose
    /// labels serve only to track `tgt_acc`), on `device`.
    ///
    /// Seeds the backend with `config.seed`, builds the discriminator from the configuration,
    /// and reads both loaders once to check them.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`], [`TrainError::ClassCountMismatch`],
    /// [`TrainError::EmptyLoader`], [`TrainError::LabelOutOfRange`],
    /// [`TrainError::BatchLengthMismatch`], or a network error from building the
    /// discriminator.
    pub fn new(
        model: M,
        source: DomainLoader<B, D>,
        target: DomainLoader<B, D>,
        config: DannConfig,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        config.check()?;
        if model.num_classes() != config.num_classes {
            return Err(TrainError::ClassCountMismatch {
                config: config.num_classes,
                model: model.num_classes(),
            });
        }
        let source_batches = scan_loader(source.as_ref(), "source", config.num_classes)?;
        let target_batches = scan_loader(target.as_ref(), "target", config.num_classes)?;

        B::seed(device, config.seed);
        let discriminator = DomainDiscriminatorConfig::new(model.latent_dim())
            .with_hidden_dim(config.discriminator_hidden)
            .with_hidden_layers(config.discriminator_layers)
            .with_dropout(config.discriminator_dropout)
            .with_dropout_masks(config.discriminator_dropout_masks)
            .with_batch_norm(config.discriminator_batch_norm)
            .init(device)?;
        let aligner = if config.semantic() {
            Some(
                CentroidAlignerConfig::new(config.num_classes, model.latent_dim())
                    .with_momentum(config.centroid_momentum)
                    .with_start(config.centroid_start)
                    .init(device)?,
            )
        } else {
            None
        };
        let grl = GradientReversalConfig::new().with_alpha(0.0).init()?;
        let optimizer = adam(&config);
        Ok(Self {
            config,
            device: device.clone(),
            host: host_backend::<B::InnerBackend>(device),
            model: Some(DannModel {
                encoder: model,
                discriminator,
            }),
            optimizer,
            grl,
            aligner,
            source,
            target,
            source_batches,
            target_batches,
            epochs_done: 0,
            steps_done: 0,
            adaptation_steps_done: 0,
            history: Vec::new(),
            domain_targets: None,
        })
    }

    /// Replaces the discriminator built from the configuration with one of your own, before
    /// training.
    ///
    /// # Errors
    ///
    /// [`TrainError::LatentDimMismatch`] when its input width is not the encoder's
    /// `latent_dim`.
    pub fn with_discriminator(
        mut self,
        discriminator: DomainDiscriminator<B>,
    ) -> Result<Self, TrainError> {
        let model = self.model_ref();
        if discriminator.latent_dim() != model.encoder.latent_dim() {
            return Err(TrainError::LatentDimMismatch {
                encoder: model.encoder.latent_dim(),
                discriminator: discriminator.latent_dim(),
            });
        }
        let encoder = self
            .model
            .take()
            .expect("the model is present between steps")
            .encoder;
        self.model = Some(DannModel {
            encoder,
            discriminator: discriminator.fork(&self.device),
        });
        self.optimizer = adam(&self.config);
        Ok(self)
    }

    /// Trains for `epochs` more epochs and returns their records (also kept in
    /// [`history`](Self::history)). A second call continues training and the epoch count.
    ///
    /// # Errors
    ///
    /// [`TrainError::NonFiniteLoss`] when a loss becomes NaN or infinite; the records of the
    /// epochs completed before it stay in the history.
    pub fn fit(&mut self, epochs: usize) -> Result<Vec<EpochRecord>, TrainError> {
        self.fit_observed(epochs, &mut Silent)
    }

    /// [`fit`](Self::fit), reporting every step and every epoch to `observer`.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit).
    pub fn fit_observed(
        &mut self,
        epochs: usize,
        observer: &mut dyn TrainObserver,
    ) -> Result<Vec<EpochRecord>, TrainError> {
        let steps_per_epoch = self.steps_per_epoch();
        let planned_epochs = self.epochs_done + epochs;
        let adaptation_epochs = planned_epochs.saturating_sub(self.config.warmup_epochs);
        let plan = Plan {
            steps_per_epoch,
            total_steps: planned_epochs * steps_per_epoch,
            adaptation_epochs,
            adaptation_steps: adaptation_epochs * steps_per_epoch,
        };
        let mut records = Vec::with_capacity(epochs);
        for _ in 0..epochs {
            let record = self.run_epoch(&plan, observer)?;
            observer.on_epoch(&record);
            if record.collapsed(self.config.collapse_threshold) {
                observer.on_collapse(&record);
            }
            if let Some(growth) = record.latent_growth(&self.history)
                && growth > self.config.drift_threshold
            {
                observer.on_drift(&record, growth);
            }
            self.history.push(record.clone());
            records.push(record);
        }
        Ok(records)
    }

    /// The accuracy of the model, in evaluation mode, on every batch of `loader`, reported
    /// under the name `domain` (for example `"target-test"`). The model is not changed.
    ///
    /// # Errors
    ///
    /// [`TrainError::EmptyLoader`] when the loader yields no example.
    pub fn evaluate(
        &self,
        loader: &dyn DataLoader<B::InnerBackend, DomainBatch<B::InnerBackend, D>>,
        domain: &str,
    ) -> Result<EvalResult, TrainError> {
        evaluate(&self.model_ref().encoder.valid(), loader, domain)
    }

    /// The model being trained.
    pub fn model(&self) -> &M {
        &self.model_ref().encoder
    }

    /// The domain discriminator.
    pub fn discriminator(&self) -> &DomainDiscriminator<B> {
        &self.model_ref().discriminator
    }

    /// The MSTN aligner and its target centroids, when `semantic_weight > 0`.
    pub fn aligner(&self) -> Option<&CentroidAligner<B>> {
        self.aligner.as_ref()
    }

    /// Ends training and hands back the model.
    pub fn into_model(mut self) -> M {
        self.model
            .take()
            .expect("the model is present between steps")
            .encoder
    }

    /// Every epoch trained so far.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// The configuration.
    pub fn config(&self) -> &DannConfig {
        &self.config
    }

    /// Optimiser steps per epoch under the configured pairing.
    pub fn steps_per_epoch(&self) -> usize {
        match self.config.pairing {
            Pairing::Cycle => self.source_batches.max(self.target_batches),
            Pairing::Shortest => self.source_batches.min(self.target_batches),
        }
    }

    /// Optimiser steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.steps_done
    }

    /// One optimiser step on a source and a target batch, with the reversal strength and the
    /// learning rate given explicitly: the building block of [`fit`](Self::fit), for custom
    /// loops and benchmarks. It does not advance the schedule or the epoch count, and it does
    /// not run the target-tracking pass.
    ///
    /// # Errors
    ///
    /// [`TrainError::NonFiniteLoss`] (the step is then not applied),
    /// [`TrainError::Reversal`] for a non-finite `alpha`.
    pub fn train_step(
        &mut self,
        source: DomainBatch<B, D>,
        target: DomainBatch<B, D>,
        alpha: f64,
        lr: f64,
    ) -> Result<StepReport, TrainError> {
        let epoch = self.epochs_done + 1;
        let step = self.steps_done + 1;
        let weights = (alpha, self.config.semantic_weight);
        let n = self.step(source, target, weights, lr, false, epoch, step)?;
        Ok(StepReport {
            epoch,
            step,
            steps_in_epoch: self.steps_per_epoch(),
            ce_loss: n.ce,
            domain_loss: n.domain,
            semantic_loss: n.semantic,
            total_loss: n.total,
            alpha,
            lr,
        })
    }

    /// The evaluation-mode predictions on a target batch: correct count and per-class counts,
    /// left on the device. It neither trains nor touches batch-norm statistics.
    fn track_target(&self, target: &DomainBatch<B, D>) -> Tracked<B::InnerBackend> {
        let n = target.len();
        let logits = self
            .model_ref()
            .encoder
            .valid()
            .forward(target.inputs.clone().inner());
        let correct = count_correct(logits.clone(), target.labels.clone().inner());
        let histogram = logits
            .argmax(1)
            .reshape([n])
            .one_hot::<2>(self.config.num_classes)
            .sum_dim(0)
            .reshape([self.config.num_classes]);
        (correct, histogram, n)
    }

    fn model_ref(&self) -> &DannModel<B, M> {
        self.model
            .as_ref()
            .expect("the model is present between steps")
    }

    /// The reversal strength for the next step.
    fn alpha_at(&self, plan: &Plan, adaptation_epoch: usize) -> f64 {
        if !self.config.schedule_alpha {
            return self.config.alpha;
        }
        scheduled_alpha(
            self.config.alpha,
            self.config.gamma,
            self.ramp_progress(plan, adaptation_epoch),
        )
    }

    /// The semantic weight for the next step: ramped with the reversal's sigmoid when
    /// `ramp_semantic` is set.
    fn semantic_weight_at(&self, plan: &Plan, adaptation_epoch: usize) -> f64 {
        let weight = self.config.semantic_weight;
        if !self.config.ramp_semantic {
            return weight;
        }
        scheduled_alpha(
            weight,
            self.config.gamma,
            self.ramp_progress(plan, adaptation_epoch),
        )
    }

    /// `p`, the progress of the adaptation phase that the ramps follow.
    fn ramp_progress(&self, plan: &Plan, adaptation_epoch: usize) -> f64 {
        match self.config.schedule_granularity {
            ScheduleGranularity::Step => {
                self.adaptation_steps_done as f64 / plan.adaptation_steps.max(1) as f64
            }
            ScheduleGranularity::Epoch => {
                adaptation_epoch as f64 / plan.adaptation_epochs.max(1) as f64
            }
        }
    }

    fn run_epoch(
        &mut self,
        plan: &Plan,
        observer: &mut dyn TrainObserver,
    ) -> Result<EpochRecord, TrainError> {
        let started = Instant::now();
        let epoch = self.epochs_done + 1;
        let warmup = epoch <= self.config.warmup_epochs;
        let adaptation_epoch = epoch.saturating_sub(self.config.warmup_epochs);
        let (source_loader, target_loader) = (self.source.clone(), self.target.clone());
        let mut source = Cycler::new(source_loader.as_ref());
        let mut target = Cycler::new(target_loader.as_ref());
        let mut sums = EpochSums::default();
        let mut tracking = TargetTracking::default();
        let (mut alpha, mut lr) = (0.0, self.config.lr);

        for step in 1..=plan.steps_per_epoch {
            let (Some(source_batch), Some(target_batch)) = (source.next(), target.next()) else {
                break;
            };
            // No reversal during warmup or without a domain loss (source-only): alpha 0.
            alpha = if warmup || !self.config.adversarial() {
                0.0
            } else {
                self.alpha_at(plan, adaptation_epoch)
            };
            let progress = self.steps_done as f64 / plan.total_steps.max(1) as f64;
            lr = scheduled_lr(self.config.lr, self.config.lr_schedule, progress);
            tracking.add(self.track_target(&target_batch));
            let semantic_weight = self.semantic_weight_at(plan, adaptation_epoch);
            let weights = (alpha, semantic_weight);
            let numbers =
                self.step(source_batch, target_batch, weights, lr, warmup, epoch, step)?;
            sums.add(&numbers);
            observer.on_step(&StepReport {
                epoch,
                step,
                steps_in_epoch: plan.steps_per_epoch,
                ce_loss: numbers.ce,
                domain_loss: numbers.domain,
                semantic_loss: numbers.semantic,
                total_loss: numbers.total,
                alpha,
                lr,
            });
        }
        self.epochs_done = epoch;

        let steps = sums.steps.max(1) as f64;
        let (tgt_acc, tgt_majority) = tracking.read();
        Ok(EpochRecord {
            epoch,
            ce_loss: sums.ce / steps,
            domain_loss: sums.domain / steps,
            semantic_loss: sums.semantic / steps,
            mmd_loss: 0.0,
            total_loss: sums.total / steps,
            src_acc: sums.source_correct / sums.source_seen.max(1) as f64,
            tgt_acc,
            alpha,
            lr,
            disc_acc: if sums.disc_seen == 0 {
                0.0
            } else {
                sums.disc_correct / sums.disc_seen as f64
            },
            tgt_majority,
            latent_norm: sums.latent_norm / sums.source_seen.max(1) as f64,
            warmup,
            steps: sums.steps,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// One optimiser step with the reversal strength and semantic weight `(alpha,
    /// semantic_weight)`. Returns what it measured.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        source: DomainBatch<B, D>,
        target: DomainBatch<B, D>,
        (alpha, semantic_weight): (f64, f64),
        lr: f64,
        warmup: bool,
        epoch: usize,
        step: usize,
    ) -> Result<StepNumbers, TrainError> {
        let config = &self.config;
        let adversarial = !warmup && config.adversarial();
        let semantic = !warmup && config.semantic();
        let model = self
            .model
            .as_ref()
            .expect("the model is present between steps");
        let n_s = source.len();
        let n_t = target.len();

        let adapting = adversarial || semantic;
        // Split backward (see `split`): the target through a fork of the encoder, so that the
        // two encoder passes can be differentiated apart.
        let split = adapting && !config.joint_encoding && config.parallel_domains && self.host;
        let fork = split.then(|| model.encoder.clone().fork(&self.device));
        // The target takes part: encoded with the source in one pass (which also gives
        // [z_s; z_t] for the discriminator), or apart.
        let (z_s, z_t, joint) = if adapting && config.joint_encoding {
            let z = model
                .encoder
                .encode(Tensor::cat(vec![source.inputs, target.inputs], 0));
            let z_s = z.clone().slice(0..n_s);
            let z_t = z.clone().slice(n_s..n_s + n_t);
            (z_s, Some(z_t), Some(z))
        } else if adapting {
            let (z_s, z_t) = match &fork {
                Some(fork) => model
                    .encoder
                    .encode_pair(source.inputs, fork, target.inputs),
                None => (
                    model.encoder.encode(source.inputs),
                    model.encoder.encode(target.inputs),
                ),
            };
            (z_s, Some(z_t), None)
        } else {
            (model.encoder.encode(source.inputs), None, None)
        };
        // The losses then see leaves in place of the features.
        let (z_s, z_t, split) = match (fork, z_t) {
            (Some(fork), Some(z_t)) => {
                let (split, z_s, z_t) = SplitGraphs::cut(fork, z_s, z_t);
                (z_s, Some(z_t), Some(split))
            }
            (_, z_t) => (z_s, z_t, None),
        };
        let logits_s = model.encoder.classify(z_s.clone());
        let source_correct = count_correct(logits_s.clone().detach(), source.labels.clone());
        let ce = cross_entropy(logits_s, source.labels.clone());
        let latent_norm_sum = z_s.clone().detach().powi_scalar(2).sum_dim(1).sqrt().sum();

        let zero = || Tensor::<B, 1>::zeros([1], &self.device);
        let mut total = ce.clone();
        let mut domain = zero();
        let mut semantic_loss = zero();
        let mut disc_correct = zero();
        let mut aligner_before = None;
        if let Some(z_t) = z_t {
            if adversarial {
                let z_all = joint.unwrap_or_else(|| Tensor::cat(vec![z_s.clone(), z_t.clone()], 0));
                self.grl.set_alpha(alpha)?;
                let logits = model.discriminator.forward(self.grl.forward(z_all));
                let targets = domain_targets(&mut self.domain_targets, n_s, n_t, &self.device);
                disc_correct = logits
                    .clone()
                    .detach()
                    .greater_elem(0.0)
                    .float()
                    .equal(targets.clone())
                    .float()
                    .sum();
                domain = binary_cross_entropy_with_logits(logits, targets);
                total = total + domain.clone().mul_scalar(config.domain_weight);
            }
            if semantic {
                let aligner = self
                    .aligner
                    .as_mut()
                    .expect("semantic_weight > 0 builds an aligner");
                aligner_before = Some(aligner.clone());
                let logits_t = model.encoder.classify(z_t.clone().detach());
                let pseudo = logits_t.clone().argmax(1).reshape([n_t]);
                let pseudo = if config.pseudo_label_confidence > 0.0 {
                    // Below the confidence, the label `num_classes`, which no class matches:
                    // the aligner leaves the sample out.
                    let confidence = softmax(logits_t, 1).max_dim(1).reshape([n_t]);
                    pseudo.mask_fill(
                        confidence.lower_elem(config.pseudo_label_confidence),
                        config.num_classes as i64,
                    )
                } else {
                    pseudo
                };
                semantic_loss = aligner.step_trusted_labels(&z_s, &source.labels, &z_t, &pseudo)?;
                total = total + semantic_loss.clone().mul_scalar(semantic_weight);
            }
        }

        // One read of everything this step has to say.
        let summary = Tensor::cat(
            vec![
                ce.clone().detach(),
                domain.clone().detach(),
                semantic_loss.clone().detach(),
                total.clone().detach(),
                source_correct.float(),
                disc_correct,
                latent_norm_sum,
            ],
            0,
        );
        let values: Vec<f64> = summary
            .into_data()
            .convert::<f64>()
            .to_vec()
            .unwrap_or_default();
        let numbers = StepNumbers {
            ce: values[0],
            domain: values[1],
            semantic: values[2],
            total: values[3],
            source_correct: values[4],
            disc_correct: values[5],
            latent_norm_sum: values[6],
            source_seen: n_s,
            disc_seen: if adversarial { n_s + n_t } else { 0 },
        };
        for (term, value) in [
            ("ce", numbers.ce),
            ("domain", numbers.domain),
            ("semantic", numbers.semantic),
            ("total", numbers.total),
        ] {
            if !value.is_finite() {
                if let Some(before) = aligner_before {
                    self.aligner = Some(before);
                }
                return Err(TrainError::NonFiniteLoss {
                    term,
                    value,
                    epoch,
                    step,
                });
            }
        }

        let grads = total.backward();
        let model = self
            .model
            .take()
            .expect("the model is present between steps");
        let grads = match split {
            Some(split) => split.gradients(grads, &model),
            None => GradientsParams::from_grads(grads, &model),
        };
        self.model = Some(self.optimizer.step(lr, model, grads));
        self.steps_done += 1;
        if !warmup {
            self.adaptation_steps_done += 1;
        }
        Ok(numbers)
    }
}

/// One target batch's tracking counts: correct predictions, predictions per class, batch size.
type Tracked<B> = (Tensor<B, 1, Int>, Tensor<B, 1, Int>, usize);

/// Target-tracking counts of an epoch, kept on the device until its end.
struct TargetTracking<B: Backend> {
    correct: Option<Tensor<B, 1, Int>>,
    histogram: Option<Tensor<B, 1, Int>>,
    seen: usize,
}

impl<B: Backend> Default for TargetTracking<B> {
    fn default() -> Self {
        Self {
            correct: None,
            histogram: None,
            seen: 0,
        }
    }
}

impl<B: Backend> TargetTracking<B> {
    fn add(&mut self, (correct, histogram, n): Tracked<B>) {
        fn sum<B: Backend>(
            acc: Option<Tensor<B, 1, Int>>,
            x: Tensor<B, 1, Int>,
        ) -> Option<Tensor<B, 1, Int>> {
            Some(match acc {
                Some(acc) => acc + x,
                None => x,
            })
        }
        self.correct = sum(self.correct.take(), correct);
        self.histogram = sum(self.histogram.take(), histogram);
        self.seen += n;
    }

    /// Target accuracy and the share of the most predicted class: one read of the device.
    fn read(self) -> (f64, f64) {
        let (Some(correct), Some(histogram)) = (self.correct, self.histogram) else {
            return (0.0, 0.0);
        };
        let values: Vec<i64> = Tensor::cat(vec![correct, histogram], 0)
            .into_data()
            .convert::<i64>()
            .to_vec()
            .unwrap_or_default();
        let seen = self.seen.max(1) as f64;
        let correct = values.first().copied().unwrap_or(0) as f64;
        let majority = values.iter().skip(1).copied().max().unwrap_or(0) as f64;
        (correct / seen, majority / seen)
    }
}

/// The shape of the training ahead, fixed at the start of a `fit`.
struct Plan {
    steps_per_epoch: usize,
    total_steps: usize,
    adaptation_epochs: usize,
    adaptation_steps: usize,
}

impl EpochSums {
    fn add(&mut self, n: &StepNumbers) {
        self.ce += n.ce;
        self.domain += n.domain;
        self.semantic += n.semantic;
        self.total += n.total;
        self.source_correct += n.source_correct;
        self.disc_correct += n.disc_correct;
        self.latent_norm += n.latent_norm_sum;
        self.source_seen += n.source_seen;
        self.disc_seen += n.disc_seen;
        self.steps += 1;
    }
}

/// Builds Adam over the model and the discriminator.
fn adam<B: AutodiffBackend, M: AutodiffModule<B> + ModuleDisplay>(
    config: &DannConfig,
) -> OptimizerAdaptor<Adam, M, B> {
    OptimizerAdaptor::from(Adam::new(config.adam_epsilon, config.weight_decay))
}

/// The iterator of a loader that starts over when it runs out.
struct Cycler<'a, B: Backend, O> {
    loader: &'a dyn DataLoader<B, O>,
    iter: Box<dyn DataLoaderIterator<O> + 'a>,
}

impl<'a, B: Backend, O> Cycler<'a, B, O> {
    fn new(loader: &'a dyn DataLoader<B, O>) -> Self {
        Self {
            loader,
            iter: loader.iter(),
        }
    }

    /// The next batch, starting the loader over (reshuffled, if it shuffles) when it is
    /// exhausted.
    fn next(&mut self) -> Option<O> {
        match self.iter.next() {
            Some(batch) => Some(batch),
            None => {
                self.iter = self.loader.iter();
                self.iter.next()
            }
        }
    }
}

/// Reads a loader once: counts its batches and checks labels and lengths.
fn scan_loader<B: Backend, const D: usize>(
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    domain: &str,
    num_classes: usize,
) -> Result<usize, TrainError> {
    let mut batches = 0;
    for batch in loader.iter() {
        let inputs = batch.inputs.dims()[0];
        let labels = batch.len();
        if inputs != labels {
            return Err(TrainError::BatchLengthMismatch {
                domain: domain.to_string(),
                inputs,
                labels,
            });
        }
        if labels == 0 {
            continue;
        }
        let labels: Vec<i64> = batch
            .labels
            .into_data()
            .convert::<i64>()
            .to_vec()
            .unwrap_or_default();
        if let Some(&label) = labels.iter().find(|&&l| l < 0 || l >= num_classes as i64) {
            return Err(TrainError::LabelOutOfRange {
                domain: domain.to_string(),
                label,
                num_classes,
            });
        }
        batches += 1;
    }
    if batches == 0 {
        return Err(TrainError::EmptyLoader {
            domain: domain.to_string(),
        });
    }
    Ok(batches)
}

/// Mean cross-entropy of `logits` against class indices.
fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let [n, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg()
}

/// Mean binary cross-entropy on logits, in the stable form
/// `max(x, 0) - x t + log(1 + exp(-|x|))`.
fn binary_cross_entropy_with_logits<B: Backend>(
    logits: Tensor<B, 1>,
    targets: Tensor<B, 1>,
) -> Tensor<B, 1> {
    let softplus = logits.clone().abs().neg().exp().log1p();
    (logits.clone().clamp_min(0.0) - logits * targets + softplus).mean()
}

/// The domain labels `[0; n_s] ++ [1; n_t]`, built once per pair of batch sizes.
fn domain_targets<B: Backend>(
    cache: &mut Option<(usize, usize, Tensor<B, 1>)>,
    n_s: usize,
    n_t: usize,
    device: &B::Device,
) -> Tensor<B, 1> {
    if let Some((s, t, targets)) = cache
        && *s == n_s
        && *t == n_t
    {
        return targets.clone();
    }
    let mut values = vec![0.0f32; n_s];
    values.resize(n_s + n_t, 1.0);
    let targets = Tensor::from_data(TensorData::new(values, [n_s + n_t]), device);
    *cache = Some((n_s, n_t, targets.clone()));
    targets
}
