//! [`DannTrainer`] and everything that touches its fields, which are private to this folder:
//! construction and `fit` here; one epoch (`epoch`), one optimiser step (`step`), the windows
//! of device reads (`reads`), what a checkpoint saves of the trainer and takes back
//! (`checkpoint`), and its side of a data-parallel run (`join`).

mod checkpoint;
mod epoch;
mod join;
mod reads;
mod step;

use std::any::Any;
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::module::{AutodiffModule, Module, ModuleDisplay};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::CentroidAligner;
use shiftkit_data::DomainBatch;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::{DomainDiscriminator, Encoder, host_backend};
use shiftkit_optim::Adam;
use shiftkit_peers::Peers;

use crate::check::check_positive;
use crate::checkpoint::Checkpoints;
use crate::evaluate::{EvalResult, check_batch, evaluate};
use crate::metrics::StepAt;
use crate::observer::{Silent, StepReport, TrainObserver};
use crate::plan::{Plan, Scan, check_step_batch, scan_loader, steps_per_epoch};
use crate::terms::{AdaptationTerm, CentroidAlignment, TermContext};
use crate::{
    Alarm, CollapsePolicy, DannConfig, DannModel, EpochRecord, RegressionResult, TrainError,
    TrainableEncoder, alarms,
};

/// A data loader of one domain's batches, as Burn builds them.
pub type DomainLoader<B, const D: usize> = Arc<dyn DataLoader<B, DomainBatch<B, D>>>;

/// Domain adaptation training: the source cross-entropy plus any combination of
/// [adaptation terms](crate::terms) — DANN's adversarial term, MSTN's centroids, MMD, CORAL,
/// CDAN(+E), MCC, or terms of your own ([`with_term`](Self::with_term)).
///
/// Each step draws a labelled source batch `(x_s, y_s)` and a target batch `x_t`, and
/// minimises, with one backward pass and one Adam step over the encoder and the
/// discriminator together:
///
/// ```text
/// z_s = encode(x_s)        z_t = encode(x_t)
/// total = CE(classify(z_s), y_s) + sum_i w_i(p) L_i(z_s, y_s, z_t, ...)
/// ```
///
/// The configuration lists the built-in terms, in the order they run
/// ([`DannConfig::run_terms`]: ShiftKit's DANN and MSTN terms from `domain_weight` and
/// `semantic_weight`, then [`DannConfig::terms`]); [`Method`](crate::Method) names the usual
/// lists. With DANN's term (source is domain 0, target domain 1)
/// `L = BCE_logits(discriminator(GRL_alpha([z_s; z_t])), [0 .. 0, 1 .. 1])`: the reversal
/// makes the discriminator learn to tell the domains apart while the encoder learns to make
/// that impossible.
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
/// ([`Pairing::Cycle`](crate::Pairing::Cycle)): with a small target set, stopping at the
/// shorter loader (ShiftKit's behaviour, [`Pairing::Shortest`](crate::Pairing::Shortest))
/// leaves too few adaptation steps for the adversarial game to settle.
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
/// # Several devices
///
/// With the feature `collective`, trainers on several threads (one device each, each with its
/// shards of the data) `join` one data-parallel run on Burn's collective engine
/// and train one model: see [`peers`](shiftkit_peers).
///
/// # Observability
///
/// [`fit`](Self::fit) returns one [`EpochRecord`] per epoch; [`fit_observed`](Self::fit_observed)
/// also reports every step and epoch to a [`TrainObserver`]. The target accuracy `tgt_acc` is
/// measured by an evaluation-mode forward pass of the target batch (dropout off, batch norm on
/// its running statistics, which it does not update), so tracking never disturbs training; it
/// runs on every [`track_every`](DannConfig::track_every)-th step's batch (every 8th by
/// default), which keeps its cost to about 1% of the training time.
///
/// # Errors
///
/// Everything that can be checked is checked before any training, in [`new`](Self::new):
/// hyper-parameters, empty loaders, class counts, label ranges, batch lengths. During training,
/// a non-finite loss stops [`fit`](Self::fit) with [`TrainError::NonFiniteLoss`], naming its
/// epoch and step, and leaving the model, discriminator, optimiser and every term's state as
/// they were at the last read of the device before it. On a CPU backend `fit` reads every step
/// before applying it, so that is the step before; on a GPU it reads the steps' numbers once
/// every [`READ_EVERY`](crate::READ_EVERY) steps, so that the device is never kept waiting for
/// the host, and goes back to the last read when one holds a non-finite loss
/// ([`DannConfig::device_reads`], [`reads`](crate::reads)).
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
    terms: Vec<Box<dyn AdaptationTerm<B>>>,
    /// The term the discriminator was built for.
    head: Option<HeadClaim>,
    source: DomainLoader<B, D>,
    target: DomainLoader<B, D>,
    /// What the scans of the two loaders found: their batches and batch sizes.
    scans: [Scan; 2],
    epochs_done: usize,
    steps_done: usize,
    adaptation_steps_done: usize,
    /// The epochs the schedules run over (see [`with_planned_epochs`](Self::with_planned_epochs)).
    planned_epochs: usize,
    history: Vec<EpochRecord>,
    /// Under [`CollapsePolicy::RestoreBest`]: the alarm-free epoch with the best source
    /// accuracy, and its model.
    best: Option<(usize, f64, DannModel<B, M>)>,
    /// Where a checkpoint is written after every epoch, if anywhere.
    checkpoints: Option<Checkpoints>,
    /// The group of a data-parallel run this trainer has joined (one peer, itself, when none).
    peers: Peers,
    /// Whether it is registered with the collective engine, and must leave it.
    registered: bool,
    /// When `fit` failed inside an epoch after applying some of its steps: that epoch and the steps
    /// applied since the last whole epoch (over every failed attempt). No checkpoint is written of
    /// such a state (it would resume as if the epoch had not begun); cleared when an epoch
    /// completes or a checkpoint is loaded.
    stopped_inside: Option<(usize, usize)>,
    /// Reads of the device by the training loop (see [`host_reads`](Self::host_reads)).
    host_reads: usize,
}

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// Builds a trainer for `model`, a labelled `source` loader and a `target` loader (whose
    /// labels serve only to track `tgt_acc`), on `device`.
    ///
    /// Seeds the backend with `config.seed`, builds the configuration's adaptation terms and
    /// the discriminator (as wide as the adversarial term needs; built for every run, so the
    /// random stream of a seed does not depend on the method), and reads both loaders once to
    /// check them.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`], [`TrainError::ClassCountMismatch`],
    /// [`TrainError::EmptyLoader`], [`TrainError::LabelOutOfRange`],
    /// [`TrainError::BatchLengthMismatch`], [`TrainError::InputShape`] (inputs the model does
    /// not take, or batches of different shapes), [`TrainError::InputShapeMismatch`] (target
    /// inputs shaped unlike the source's), [`TrainError::NonFiniteInput`], or a wrapped error of
    /// a nested configuration.
    pub fn new(
        model: M,
        source: DomainLoader<B, D>,
        target: DomainLoader<B, D>,
        config: DannConfig,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        config.check()?;
        let scans = scan_loaders(&model, &source, &target, &config)?;
        B::seed(device, config.seed);
        let terms = built_in_terms::<B>(&config, model.latent_dim(), device)?;
        let mut head = None;
        for (index, term) in terms.iter().enumerate() {
            claim_head(
                &mut head,
                &terms,
                (index, term.as_ref()),
                model.latent_dim(),
                config.num_classes,
            )?;
        }
        let width = head
            .as_ref()
            .map_or(model.latent_dim(), |claim| claim.width);
        let discriminator = config.discriminator_for(width).init(device)?;
        let optimizer = adam(&config);
        Ok(Self {
            host: host_backend::<B::InnerBackend>(device),
            device: device.clone(),
            model: Some(DannModel {
                encoder: model,
                discriminator,
            }),
            optimizer,
            terms,
            head,
            source,
            target,
            scans,
            epochs_done: 0,
            steps_done: 0,
            adaptation_steps_done: 0,
            host_reads: 0,
            planned_epochs: 0,
            history: Vec::new(),
            best: None,
            checkpoints: None,
            peers: Peers::ALONE,
            registered: false,
            stopped_inside: None,
            config,
        })
    }

    /// Adds an adaptation term of your own after the configuration's, before training. If it
    /// asks for the discriminator ([`AdaptationTerm::head_input`]), the discriminator is built
    /// anew from the configuration at the width it asks for. [`add_term`](Self::add_term) does
    /// the same through `&mut self`, keeping the trainer when the term is refused.
    ///
    /// # Errors
    ///
    /// As [`add_term`](Self::add_term); the trainer is dropped with the error.
    pub fn with_term(mut self, term: impl AdaptationTerm<B> + 'static) -> Result<Self, TrainError> {
        self.add_term(term)?;
        Ok(self)
    }

    /// Adds an adaptation term of your own after the configuration's, before training, as
    /// [`with_term`](Self::with_term) does. On an error the trainer is as it was.
    ///
    /// # Errors
    ///
    /// [`TrainError::HeadTaken`] when it asks for the discriminator and a configured term
    /// (DANN, CDAN) already has it; [`TrainError::TermName`] when a term of the run already
    /// has its name (the history and the checkpoints know terms by name);
    /// [`TrainError::Trained`] after a step; a network error from building the discriminator.
    pub fn add_term(&mut self, term: impl AdaptationTerm<B> + 'static) -> Result<(), TrainError> {
        self.check_untrained()?;
        if self.terms.iter().any(|other| other.name() == term.name()) {
            return Err(TrainError::TermName {
                name: term.name().to_string(),
            });
        }
        let (latent_dim, num_classes) = (self.model().latent_dim(), self.config.num_classes);
        // Claimed on a copy, kept only once the discriminator it asks for is built.
        let mut head = self.head.clone();
        let index = self.terms.len();
        claim_head(
            &mut head,
            &self.terms,
            (index, &term),
            latent_dim,
            num_classes,
        )?;
        if self.head.is_none()
            && let Some(claim) = &head
        {
            let discriminator = self
                .config
                .discriminator_for(claim.width)
                .init(&self.device)?;
            self.replace_discriminator(discriminator);
        }
        self.head = head;
        self.terms.push(Box::new(term));
        Ok(())
    }

    /// Replaces the discriminator built from the configuration with one of your own, before
    /// training. [`set_discriminator`](Self::set_discriminator) does the same through
    /// `&mut self`, keeping the trainer when the discriminator is refused.
    ///
    /// # Errors
    ///
    /// As [`set_discriminator`](Self::set_discriminator); the trainer is dropped with the
    /// error.
    pub fn with_discriminator(
        mut self,
        discriminator: DomainDiscriminator<B>,
    ) -> Result<Self, TrainError> {
        self.set_discriminator(discriminator)?;
        Ok(self)
    }

    /// Replaces the discriminator with one of your own, before training, as
    /// [`with_discriminator`](Self::with_discriminator) does. On an error the trainer is as it
    /// was.
    ///
    /// # Errors
    ///
    /// [`TrainError::LatentDimMismatch`] when its input width is not what the adversarial
    /// term feeds it (the encoder's `latent_dim` for DANN); [`TrainError::Trained`] after a
    /// step.
    pub fn set_discriminator(
        &mut self,
        discriminator: DomainDiscriminator<B>,
    ) -> Result<(), TrainError> {
        self.check_untrained()?;
        let expected = self
            .head
            .as_ref()
            .map_or(self.model().latent_dim(), |claim| claim.width);
        if discriminator.latent_dim() != expected {
            return Err(TrainError::LatentDimMismatch {
                encoder: expected,
                discriminator: discriminator.latent_dim(),
            });
        }
        let discriminator = discriminator.fork(&self.device);
        self.replace_discriminator(discriminator);
        Ok(())
    }

    /// Terms and the discriminator are set before training: afterwards a new discriminator
    /// would start Adam over, and a new term would meet a run that trained without it.
    fn check_untrained(&self) -> Result<(), TrainError> {
        match self.steps_done {
            0 => Ok(()),
            steps => Err(TrainError::Trained { steps }),
        }
    }

    fn replace_discriminator(&mut self, discriminator: DomainDiscriminator<B>) {
        let encoder = self
            .model
            .take()
            .expect("the model is present between steps")
            .encoder;
        self.model = Some(DannModel {
            encoder,
            discriminator,
        });
        self.optimizer = adam(&self.config);
    }

    /// Trains for `epochs` more epochs and returns their records (also kept in
    /// [`history`](Self::history)). A second call continues training and the epoch count.
    /// With [`with_checkpoints`](Self::with_checkpoints), a checkpoint is written after every
    /// epoch.
    ///
    /// # Errors
    ///
    /// [`TrainError::NonFiniteLoss`] when a loss becomes NaN or infinite; the records of the epochs
    /// completed before it stay in the history, and the steps of the failed epoch applied before it
    /// (on a GPU, those up to the last read of the device) stay in the model (so
    /// [`save_checkpoint`](Self::save_checkpoint) refuses that state,
    /// [`CheckpointError::InsideEpoch`](crate::checkpoint::CheckpointError::InsideEpoch)).
    /// [`TrainError::Collapsed`] when the collapse guard stopped training
    /// ([`DannConfig::collapse_policy`]); the history then ends with the epoch that raised the
    /// alarms. [`TrainError::Checkpoint`] when a checkpoint could not be written (the epoch's
    /// training is kept in memory), or, before any training, when the checkpoints' directory
    /// already holds the epoch the first checkpoint would be or a later one
    /// ([`StoreError::Ahead`](shiftkit_store::StoreError::Ahead)).
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
        if epochs > 0 {
            self.check_checkpoints()?;
        }
        self.planned_epochs = self.planned_epochs.max(self.epochs_done + epochs);
        let plan = Plan::new(
            self.steps_per_epoch(),
            self.planned_epochs,
            self.config.warmup_epochs,
        );
        let mut records = Vec::with_capacity(epochs);
        for _ in 0..epochs {
            let steps_before = self.steps_done;
            let mut record = self.run_epoch(&plan, observer).inspect_err(|_| {
                // Counted over every failed attempt since the last whole epoch.
                let earlier = self.stopped_inside.map_or(0, |(_, steps)| steps);
                let steps = earlier + self.steps_done.saturating_sub(steps_before);
                if steps > 0 {
                    self.stopped_inside = Some((self.epochs_done + 1, steps));
                }
            })?;
            self.stopped_inside = None;
            record.alarms = alarms(&record, &self.history, &self.config);
            observer.on_epoch(&record);
            for alarm in &record.alarms {
                match alarm {
                    Alarm::ClassCollapse { .. } => observer.on_collapse(&record),
                    Alarm::FeatureDrift { growth } => observer.on_drift(&record, *growth),
                    _ => {}
                }
                observer.on_alarm(&record, alarm);
            }
            self.history.push(record.clone());
            records.push(record);
            self.guard_after_epoch()?;
            // In a data-parallel run every peer holds the same state: the first peer of each
            // process writes it, so that every machine of the run has a copy to resume from.
            if let Some(checkpoints) = &self.checkpoints
                && self.peers.local_rank() == 0
            {
                self.save_checkpoint(checkpoints)?;
            }
        }
        Ok(records)
    }

    /// Acts on the last epoch's alarms under the configured [`CollapsePolicy`], and keeps the
    /// best alarm-free model for [`CollapsePolicy::RestoreBest`].
    fn guard_after_epoch(&mut self) -> Result<(), TrainError> {
        let record = self.history.last().expect("called after an epoch");
        let policy = self.config.collapse_policy;
        if record.alarms.is_empty() {
            let better = self
                .best
                .as_ref()
                .is_none_or(|(_, acc, _)| record.src_acc > *acc);
            if policy == CollapsePolicy::RestoreBest && better {
                self.best = Some((record.epoch, record.src_acc, self.model_ref().clone()));
            }
            return Ok(());
        }
        if policy == CollapsePolicy::Report {
            return Ok(());
        }
        let (epoch, alarms) = (record.epoch, record.alarms.clone());
        let restored = match (policy, self.best.take()) {
            (CollapsePolicy::RestoreBest, Some((best_epoch, _, model))) => {
                self.model = Some(model);
                Some(best_epoch)
            }
            _ => None,
        };
        Err(TrainError::Collapsed {
            epoch,
            alarms,
            restored,
        })
    }

    /// The accuracy of the model, in evaluation mode, on every batch of `loader`, reported
    /// under the name `domain` (for example `"target-test"`). The model is not changed.
    ///
    /// # Errors
    ///
    /// [`TrainError::EmptyLoader`] when the loader yields no example;
    /// [`TrainError::InputShape`] (or [`TrainError::Network`]) when its inputs are not of the
    /// shape the model takes.
    pub fn evaluate(
        &self,
        loader: &dyn DataLoader<B::InnerBackend, DomainBatch<B::InnerBackend, D>>,
        domain: &str,
    ) -> Result<EvalResult, TrainError> {
        evaluate(&self.model_ref().encoder.valid(), loader, domain)
    }

    /// A regression's errors ([`evaluate_values`](crate::evaluate_values)), in evaluation
    /// mode, on every batch of `loader`, reported under the name `domain`.
    ///
    /// # Errors
    ///
    /// As [`evaluate_values`](crate::evaluate_values).
    pub fn evaluate_values(
        &self,
        loader: &dyn DataLoader<B::InnerBackend, DomainBatch<B::InnerBackend, D>>,
        domain: &str,
    ) -> Result<RegressionResult, TrainError> {
        crate::evaluate_values(&self.model_ref().encoder.valid(), loader, domain)
    }

    /// The model being trained.
    pub fn model(&self) -> &M {
        &self.model_ref().encoder
    }

    /// The domain discriminator.
    pub fn discriminator(&self) -> &DomainDiscriminator<B> {
        &self.model_ref().discriminator
    }

    /// The adaptation terms, in the order they run.
    pub fn terms(&self) -> impl Iterator<Item = &dyn AdaptationTerm<B>> {
        self.terms.iter().map(|term| term.as_ref())
    }

    /// The first term of type `T`, to read its state: `trainer.term::<MyTerm>()`.
    pub fn term<T: AdaptationTerm<B> + 'static>(&self) -> Option<&T> {
        self.terms
            .iter()
            .find_map(|term| (term.as_ref() as &dyn Any).downcast_ref::<T>())
    }

    /// The MSTN aligner and its target centroids, when `semantic_weight > 0`.
    pub fn aligner(&self) -> Option<&CentroidAligner<B>> {
        self.term::<CentroidAlignment<B>>()
            .map(CentroidAlignment::aligner)
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
        let fixed = self.fixed_shapes();
        let ((source, _), (target, _)) =
            (self.scans[0].batches(fixed), self.scans[1].batches(fixed));
        steps_per_epoch(self.config.pairing, source, target)
    }

    /// The passes an epoch begins over the source and the target loader: as many as its
    /// steps need, the shorter loader cycled (each pass advances a shuffling loader's
    /// generator, which resuming repeats).
    fn passes_per_epoch(&self) -> [usize; 2] {
        let steps = self.steps_per_epoch();
        let fixed = self.fixed_shapes();
        self.scans
            .each_ref()
            .map(|scan| steps.div_ceil(scan.batches(fixed).0.max(1)).max(1))
    }

    /// The examples of the source and target loaders' longest batches.
    fn batch_sizes(&self) -> [usize; 2] {
        self.scans.each_ref().map(|scan| scan.batch_size)
    }

    /// Whether this run's training batches all have their loader's batch size
    /// ([`DannConfig::batch_shapes`] on this backend).
    fn fixed_shapes(&self) -> bool {
        self.config.batch_shapes.fixed(self.host)
    }

    /// Optimiser steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.steps_done
    }

    /// One optimiser step on a source and a target batch, at adaptation progress `progress`
    /// (which every term's schedule reads: alpha, ramped weights) and learning rate `lr`,
    /// given explicitly: the building block of [`fit`](Self::fit), for custom loops and
    /// benchmarks. It does not advance the epoch count, and it does not run the
    /// target-tracking pass.
    ///
    /// The batches are checked against the loaders the trainer was built with, before the
    /// step: the step's [`StepReport::step`] counts the run's steps, not an epoch's.
    ///
    /// # Errors
    ///
    /// Before anything changes: [`TrainError::EmptyBatch`],
    /// [`TrainError::BatchLengthMismatch`], [`TrainError::InputShape`] (inputs shaped unlike the
    /// loaders'), [`TrainError::LabelOutOfRange`] (a source label), and
    /// [`TrainError::InvalidHyperParameter`] for a `progress` outside `[0, 1]` or an `lr` that
    /// is not finite and positive. [`TrainError::NonFiniteLoss`] (the step is then not
    /// applied), [`TrainError::Reversal`] for a non-finite reversal strength.
    pub fn train_step(
        &mut self,
        source: DomainBatch<B, D>,
        target: DomainBatch<B, D>,
        progress: f64,
        lr: f64,
    ) -> Result<StepReport, TrainError> {
        let [source_scan, target_scan] = &self.scans;
        let classes = self.config.num_classes;
        check_step_batch(&source, "source", source_scan, Some(classes))?;
        check_step_batch(&target, "target", target_scan, None)?;
        if !(progress.is_finite() && (0.0..=1.0).contains(&progress)) {
            return Err(TrainError::InvalidHyperParameter {
                name: "progress",
                value: progress,
                expected: "in [0, 1]",
            });
        }
        check_positive("lr", lr)?;
        let at = StepAt {
            epoch: self.epochs_done + 1,
            step: self.steps_done + 1,
            progress,
            lr,
            warmup: false,
        };
        let numbers = self.checked_step(source, target, &at)?;
        Ok(self.report(&numbers))
    }

    /// Reads of the device the training loop has made since the trainer was built: in
    /// [`fit`](Self::fit), one per step on a CPU backend or one per
    /// [`READ_EVERY`](crate::READ_EVERY) steps on a GPU ([`DannConfig::device_reads`]), and
    /// one at every epoch's end (the target-tracking counts, after the window's steps); one per
    /// [`train_step`](Self::train_step). Construction's checks of the loaders, evaluation and
    /// checkpoints are not counted. See [`reads`](crate::reads).
    pub fn host_reads(&self) -> usize {
        self.host_reads
    }
}

/// The terms a configuration asks for ([`DannConfig::run_terms`]), built, in the order they
/// run.
fn built_in_terms<B: AutodiffBackend + GradientReversalBackend>(
    config: &DannConfig,
    latent_dim: usize,
    device: &B::Device,
) -> Result<Vec<Box<dyn AdaptationTerm<B>>>, TrainError> {
    let run = TermContext {
        alpha: config.alpha,
        reversal_ramp: config.schedule_alpha.then_some(config.gamma),
        gamma: config.gamma,
        seed: config.seed,
        latent_dim,
        num_classes: config.num_classes,
        device,
    };
    config
        .run_terms()
        .iter()
        .map(|term| term.init(&run))
        .collect()
}

/// Records `term`, number `index` among the run's terms (those before it in `terms`), as the
/// discriminator's owner if it asks for it.
fn claim_head<B: AutodiffBackend>(
    head: &mut Option<HeadClaim>,
    terms: &[Box<dyn AdaptationTerm<B>>],
    (index, term): (usize, &dyn AdaptationTerm<B>),
    latent_dim: usize,
    num_classes: usize,
) -> Result<(), TrainError> {
    let Some(width) = term.head_input(latent_dim, num_classes) else {
        return Ok(());
    };
    if let Some(first) = head {
        return Err(TrainError::HeadTaken {
            first: terms[first.index].name().to_string(),
            second: term.name().to_string(),
        });
    }
    *head = Some(HeadClaim { index, width });
    Ok(())
}

/// The term the discriminator belongs to: it alone is given it
/// ([`TermInputs::head`](crate::terms::TermInputs::head)).
#[derive(Debug, Clone)]
struct HeadClaim {
    /// The term's place among the trainer's terms.
    index: usize,
    /// The discriminator's input width it asked for.
    width: usize,
}

/// Reads both loaders once ([`scan_loader`]) and checks them against `model` and each other:
/// its class count, the inputs it takes, the target's inputs shaped like the source's.
fn scan_loaders<B: AutodiffBackend, M: Encoder<B>, const D: usize>(
    model: &M,
    source: &DomainLoader<B, D>,
    target: &DomainLoader<B, D>,
    config: &DannConfig,
) -> Result<[Scan; 2], TrainError> {
    let num_classes = config.num_classes;
    if model.num_classes() != num_classes {
        return Err(TrainError::ClassCountMismatch {
            config: num_classes,
            model: model.num_classes(),
        });
    }
    let regression = config.task.is_regression();
    let source = scan_loader(source.as_ref(), "source", num_classes, regression)?;
    let target = scan_loader(target.as_ref(), "target", num_classes, false)?;
    check_batch(model, &[&[1], &source.input_dims[..]].concat(), "source")?;
    if target.input_dims != source.input_dims {
        return Err(TrainError::InputShapeMismatch {
            source_dims: source.input_dims,
            target_dims: target.input_dims,
        });
    }
    Ok([source, target])
}

/// Builds Adam over the model and the discriminator.
fn adam<B: AutodiffBackend, M: AutodiffModule<B> + ModuleDisplay>(
    config: &DannConfig,
) -> OptimizerAdaptor<Adam, M, B> {
    OptimizerAdaptor::from(Adam::new(config.adam_epsilon, config.weight_decay))
}
