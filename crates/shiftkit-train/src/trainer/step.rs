//! One optimiser step: encode, ask each term for its loss, check, differentiate once, step the
//! optimiser once, commit the terms.

use std::cell::OnceCell;

use burn::module::AutodiffModule;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_data::DomainBatch;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::Encoder;
use shiftkit_optim::SplitGraphs;
use shiftkit_peers::Peers;

use super::DannTrainer;
use crate::metrics::{StepAt, StepNumbers};
use crate::task::{Task, source_loss};
use crate::terms::{AdaptationTerm, TermInputs};
use crate::{DannModel, TrainError, TrainableEncoder};

/// The features of a step.
struct Encoded<B: AutodiffBackend, M> {
    z_s: Tensor<B, 2>,
    /// Present when the target takes part (an adaptation step).
    z_t: Option<Tensor<B, 2>>,
    /// `[z_s; z_t]` when both came from one pass.
    joint: Option<Tensor<B, 2>>,
    /// The two encoder graphs, when they are differentiated apart.
    split: Option<SplitGraphs<B, M>>,
}

/// What a step computed before its backward pass.
struct Losses<B: AutodiffBackend> {
    total: Tensor<B, 1>,
    /// `ce, total, source_correct, disc_correct, latent_norm_sum`, then each term's loss.
    summary: Vec<Tensor<B, 1>>,
    reversal: Option<f64>,
}

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// One optimiser step whose numbers stay on the device: `fit` reads them with the other
    /// steps of its read window ([`reads`](crate::reads)). The step is applied whatever its
    /// loss; the window's read finds a non-finite one and rolls the trainer back.
    pub(super) fn launch(
        &mut self,
        source: DomainBatch<B, D>,
        target: DomainBatch<B, D>,
        at: &StepAt,
    ) -> Result<Launched<B>, TrainError> {
        let (total, split, launched) = self.forward(source, target, at)?;
        self.finish(total, split, at)?;
        Ok(launched)
    }

    /// One optimiser step read before it is applied: a non-finite loss leaves the trainer as
    /// it was. Returns what it measured.
    pub(super) fn checked_step(
        &mut self,
        source: DomainBatch<B, D>,
        target: DomainBatch<B, D>,
        at: &StepAt,
    ) -> Result<StepNumbers, TrainError> {
        let (total, split, launched) = self.forward(source, target, at)?;
        let checked = self
            .read_steps(std::slice::from_ref(&launched))
            .and_then(|mut numbers| {
                let numbers = numbers.remove(0);
                self.check_finite(&numbers).map(|()| numbers)
            });
        let numbers = match checked {
            Ok(numbers) => numbers,
            Err(error) => {
                self.terms.iter_mut().for_each(|term| term.discard());
                return Err(error);
            }
        };
        self.finish(total, split, at)?;
        Ok(numbers)
    }

    /// Encodes and asks every term for its loss. On an error every term's pending state is
    /// discarded.
    #[allow(clippy::type_complexity)]
    fn forward(
        &mut self,
        source: DomainBatch<B, D>,
        target: DomainBatch<B, D>,
        at: &StepAt,
    ) -> Result<(Tensor<B, 1>, Option<SplitGraphs<B, M>>, Launched<B>), TrainError> {
        let adapting = !at.warmup && !self.terms.is_empty();
        let (n_s, n_t) = (source.len(), target.len());
        let encoded = self.encode(source.inputs, target.inputs, adapting);
        let model = self
            .model
            .as_ref()
            .expect("the model is present between steps");
        let losses = match term_losses(
            model,
            &mut self.terms,
            &encoded,
            (&source.labels, source.values),
            at,
            (
                self.config.task,
                self.config.num_classes,
                self.peers,
                self.head.as_ref().map(|claim| claim.index),
            ),
        ) {
            Ok(losses) => losses,
            Err(error) => {
                self.terms.iter_mut().for_each(|term| term.discard());
                return Err(error);
            }
        };
        let disc_seen = if losses.reversal.is_some() {
            n_s + n_t
        } else {
            0
        };
        let launched = Launched {
            summary: Tensor::cat(losses.summary, 0),
            at: *at,
            source_seen: n_s,
            disc_seen,
            reversal: losses.reversal.unwrap_or(0.0),
        };
        Ok((losses.total, encoded.split, launched))
    }

    /// Differentiates, steps the optimiser, commits the terms' state and counts the step.
    fn finish(
        &mut self,
        total: Tensor<B, 1>,
        split: Option<SplitGraphs<B, M>>,
        at: &StepAt,
    ) -> Result<(), TrainError> {
        self.apply(total, split, at.lr)?;
        self.terms.iter_mut().for_each(|term| term.commit());
        self.steps_done += 1;
        if !at.warmup {
            self.adaptation_steps_done += 1;
        }
        Ok(())
    }

    /// The step's features. The target takes part only in an adaptation step: encoded with
    /// the source in one pass (`joint_encoding`, which also gives `[z_s; z_t]`), through a
    /// fork of the encoder so the two graphs can be differentiated on two threads (see
    /// [`SplitGraphs`]), or after the source through the same encoder.
    fn encode(&self, source: Tensor<B, D>, target: Tensor<B, D>, adapting: bool) -> Encoded<B, M> {
        let config = &self.config;
        let encoder = &self.model_ref().encoder;
        if !adapting {
            let z_s = encoder.encode(source);
            return Encoded {
                z_s,
                z_t: None,
                joint: None,
                split: None,
            };
        }
        if config.joint_encoding {
            let n_s = source.dims()[0];
            let z = encoder.encode(Tensor::cat(vec![source, target], 0));
            let [rows, _] = z.dims();
            let z_s = z.clone().slice(0..n_s);
            let z_t = z.clone().slice(n_s..rows);
            return Encoded {
                z_s,
                z_t: Some(z_t),
                joint: Some(z),
                split: None,
            };
        }
        if config.parallel_domains && self.host {
            let fork = encoder.clone().fork(&self.device);
            let (z_s, z_t) = encoder.encode_pair(source, &fork, target);
            // The losses then see leaves in place of the features.
            let (split, z_s, z_t) = SplitGraphs::cut(fork, z_s, z_t);
            return Encoded {
                z_s,
                z_t: Some(z_t),
                joint: None,
                split: Some(split),
            };
        }
        let z_s = encoder.encode(source);
        let z_t = encoder.encode(target);
        Encoded {
            z_s,
            z_t: Some(z_t),
            joint: None,
            split: None,
        }
    }

    /// Fails with the first non-finite loss of a step: the cross-entropy, each term, the
    /// total.
    pub(super) fn check_finite(&self, numbers: &StepNumbers) -> Result<(), TrainError> {
        let named = std::iter::once(("ce", numbers.ce))
            .chain(
                self.terms
                    .iter()
                    .map(|t| t.name())
                    .zip(numbers.terms.iter().copied()),
            )
            .chain(std::iter::once(("total", numbers.total)));
        for (term, value) in named {
            if !value.is_finite() {
                return Err(TrainError::NonFiniteLoss {
                    term: term.to_string(),
                    value,
                    epoch: numbers.at.epoch,
                    step: numbers.at.step,
                });
            }
        }
        Ok(())
    }

    /// Reads what `steps` measured, in one transfer from the device (counted in
    /// [`host_reads`](Self::host_reads)); in a data-parallel run, summed over the peers first
    /// (one all-reduce), so that every peer reads the union batches' numbers, and a
    /// non-finite loss on any peer is non-finite on all.
    pub(super) fn read_steps(
        &mut self,
        steps: &[Launched<B>],
    ) -> Result<Vec<StepNumbers>, TrainError> {
        let summaries = steps.iter().map(|s| s.summary.clone()).collect();
        let summed = self.peers.sum(Tensor::cat(summaries, 0))?;
        let values: Vec<f64> = summed
            .into_data()
            .convert::<f64>()
            .to_vec()
            .unwrap_or_default();
        self.host_reads += 1;
        let mut rest = values.as_slice();
        let mut numbers = Vec::with_capacity(steps.len());
        for step in steps {
            let (mine, after) = rest.split_at(step.summary.dims()[0].min(rest.len()));
            numbers.push(step.numbers(mine, self.peers));
            rest = after;
        }
        Ok(numbers)
    }

    /// One backward pass and one optimiser step (on the mean of the peers' gradients, in a
    /// data-parallel run).
    fn apply(
        &mut self,
        total: Tensor<B, 1>,
        split: Option<SplitGraphs<B, M>>,
        lr: f64,
    ) -> Result<(), TrainError> {
        let grads = total.backward();
        let model = self
            .model
            .as_ref()
            .expect("the model is present between steps");
        let grads = match split {
            Some(split) => split.gradients(grads, model),
            None => GradientsParams::from_grads(grads, model),
        };
        let grads = self.mean_over_peers(model, grads)?;
        let model = self
            .model
            .take()
            .expect("the model is present between steps");
        self.model = Some(self.optimizer.step(lr, model, grads));
        Ok(())
    }
}

/// The cross-entropy and every term's loss, and their weighted total.
fn term_losses<B, M>(
    model: &DannModel<B, M>,
    terms: &mut [Box<dyn AdaptationTerm<B>>],
    encoded: &Encoded<B, M>,
    (labels, values): (&Tensor<B, 1, burn::tensor::Int>, Option<Tensor<B, 1>>),
    at: &StepAt,
    (task, num_classes, peers, head_owner): (Task, usize, Peers, Option<usize>),
) -> Result<Losses<B>, TrainError>
where
    B: AutodiffBackend,
    M: Encoder<B> + AutodiffModule<B>,
{
    let z_s = &encoded.z_s;
    let logits_s = model.encoder.classify(z_s.clone());
    let (ce, source_correct) = source_loss(task, logits_s.clone(), labels.clone(), values)?;
    let latent_norm_sum = z_s.clone().detach().powi_scalar(2).sum_dim(1).sqrt().sum();
    let device = ce.device();
    let mut total = ce.clone();
    let mut disc_correct = Tensor::<B, 1>::zeros([1], &device);
    let mut term_values = Vec::with_capacity(terms.len());
    let mut reversal = None;
    if let Some(z_t) = &encoded.z_t {
        let classify = |z: Tensor<B, 2>| model.encoder.classify(z);
        let mut inputs = TermInputs {
            source_features: z_s,
            source_labels: labels,
            source_logits: &logits_s,
            target_features: z_t,
            progress: at.progress,
            num_classes,
            joint_features: encoded.joint.as_ref(),
            classify: &classify,
            target_logits: OnceCell::new(),
            head: None,
            peers,
        };
        for (index, term) in terms.iter_mut().enumerate() {
            inputs.head = (head_owner == Some(index)).then_some(&model.discriminator);
            let weight = term.weight(at.progress);
            let output = term.loss(&inputs)?;
            if let Some(correct) = output.domain_correct {
                disc_correct = correct;
            }
            reversal = reversal.or(output.reversal);
            total = total + output.loss.clone().mul_scalar(weight);
            term_values.push(output.loss.detach());
        }
    }
    let mut summary = vec![
        ce.detach(),
        total.clone().detach(),
        source_correct,
        disc_correct,
        latent_norm_sum,
    ];
    summary.extend(term_values);
    Ok(Losses {
        total,
        summary,
        reversal,
    })
}

/// A step applied on the device whose numbers are not read yet.
pub(super) struct Launched<B: AutodiffBackend> {
    /// `ce, total, source_correct, disc_correct, latent_norm_sum`, then each term's loss
    /// (none during warmup); detached.
    summary: Tensor<B, 1>,
    at: StepAt,
    source_seen: usize,
    disc_seen: usize,
    reversal: f64,
}

impl<B: AutodiffBackend> Launched<B> {
    /// The step's numbers from its `values` (summed over the peers).
    fn numbers(&self, values: &[f64], peers: Peers) -> StepNumbers {
        // Losses are means over each peer's batch: their mean over the peers is the union's
        // (and alone, a division by 1, exact).
        let p = peers.count() as f64;
        let mean = |value: f64| value / p;
        let value = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
        StepNumbers {
            at: self.at,
            ce: mean(value(0)),
            total: mean(value(1)),
            source_correct: value(2),
            disc_correct: value(3),
            latent_norm_sum: value(4),
            terms: values.iter().skip(5).map(|&value| mean(value)).collect(),
            source_seen: self.source_seen * peers.count(),
            disc_seen: self.disc_seen * peers.count(),
            reversal: self.reversal,
        }
    }
}
