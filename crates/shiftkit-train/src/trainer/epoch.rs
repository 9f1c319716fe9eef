//! One epoch: its steps, the target tracking, and its record.

use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use shiftkit_data::DomainBatch;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::Encoder;

use super::DannTrainer;
use crate::evaluate::count_correct;
use crate::metrics::{EpochSums, StepAt, TargetTracking, Tracked};
use crate::observer::{StepReport, TrainObserver};
use crate::plan::{Cycler, Plan};
use crate::schedule::scheduled_lr;
use crate::seed::{epoch_seed, mix64};
use crate::{DannModel, EpochRecord, SHIFTKIT_TERMS, TrainError, TrainableEncoder};

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// What a step reports to observers.
    pub(super) fn report(&self, numbers: &crate::metrics::StepNumbers) -> StepReport {
        let at = &numbers.at;
        StepReport {
            epoch: at.epoch,
            step: at.step,
            steps_in_epoch: self.steps_per_epoch(),
            ce_loss: numbers.ce,
            term_losses: self
                .terms
                .iter()
                .zip(&numbers.terms)
                .map(|(term, value)| (term.name().to_string(), *value))
                .collect(),
            total_loss: numbers.total,
            alpha: numbers.reversal,
            lr: at.lr,
        }
    }

    /// The evaluation-mode predictions on a target batch: correct count and per-class counts,
    /// left on the device. It neither trains nor touches batch-norm statistics.
    pub(super) fn track_target(&self, target: &DomainBatch<B, D>) -> Tracked<B::InnerBackend> {
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

    pub(super) fn model_ref(&self) -> &DannModel<B, M> {
        self.model
            .as_ref()
            .expect("the model is present between steps")
    }

    pub(super) fn run_epoch(
        &mut self,
        plan: &Plan,
        observer: &mut dyn TrainObserver,
    ) -> Result<EpochRecord, TrainError> {
        let started = Instant::now();
        let epoch = self.epochs_done + 1;
        self.seed_epoch(epoch);
        let warmup = epoch <= self.config.warmup_epochs;
        let adaptation_epoch = epoch.saturating_sub(self.config.warmup_epochs);
        let (source_loader, target_loader) = (self.source.clone(), self.target.clone());
        let fixed = self.fixed_shapes();
        let mut source = Cycler::new(source_loader.as_ref(), self.scans[0].batches(fixed).1);
        let mut target = Cycler::new(target_loader.as_ref(), self.scans[1].batches(fixed).1);
        let mut sums = EpochSums::new(self.terms.len());
        let mut tracking = TargetTracking::default();
        let (mut alpha, mut lr) = (0.0, self.config.lr);
        let mut reading = self.start_reading();

        for step in 1..=plan.steps_per_epoch {
            let (Some(source_batch), Some(target_batch)) = (source.next(), target.next()) else {
                break;
            };
            let at = self.step_at(plan, (epoch, step), adaptation_epoch, warmup);
            lr = at.lr;
            // Target accuracy and the class shares are a classification's.
            if (step - 1) % self.config.track_every == 0 && !self.config.task.is_regression() {
                tracking.add(self.track_target(&target_batch));
            }
            let batches = (source_batch, target_batch, &at);
            let (next, read) = self.read_step(reading, batches, &mut sums, observer)?;
            (reading, alpha) = (next, read.unwrap_or(alpha));
        }
        alpha = self
            .finish_reading(reading, &mut sums, observer)?
            .unwrap_or(alpha);
        let (tgt_acc, tgt_majority) = tracking.read(self.peers, &mut self.host_reads)?;
        self.average_state()?;
        // Counted only once nothing can fail: the epochs done and the history's records stay
        // one to one, which a checkpoint's reader checks.
        self.epochs_done = epoch;
        Ok(self.record(
            epoch,
            &sums,
            (tgt_acc, tgt_majority),
            (alpha, lr),
            warmup,
            started,
        ))
    }

    /// Seeds the backend for `epoch`. An epoch's random draws depend on the seed and the epoch
    /// alone, so that a run resumed from a checkpoint draws what the uninterrupted run drew.
    /// Peer 0 of a data-parallel run draws what one process draws; the others, streams of
    /// their own.
    pub(super) fn seed_epoch(&self, epoch: usize) {
        let rank = self.peers.rank() as u64;
        let rank_stream = if rank == 0 { 0 } else { mix64(rank) };
        let seed = epoch_seed(self.config.seed, epoch) ^ rank_stream;
        B::seed(&self.device, seed);
        if !self.peers.alone() {
            // Peers on threads of one process share the backend's generator: each draws its
            // dropout masks from a stream of its own thread.
            shiftkit_nn::seed_thread_masks(Some(seed));
        }
    }

    /// Where the next step stands: its learning rate (by the steps done) and its schedules'
    /// progress (by the adaptation steps done).
    pub(super) fn step_at(
        &self,
        plan: &Plan,
        (epoch, step): (usize, usize),
        adaptation_epoch: usize,
        warmup: bool,
    ) -> StepAt {
        let progress = self.steps_done as f64 / plan.total_steps.max(1) as f64;
        StepAt {
            epoch,
            step,
            progress: plan.ramp_progress(
                self.config.schedule_granularity,
                self.adaptation_steps_done,
                adaptation_epoch,
            ),
            lr: scheduled_lr(self.config.lr, self.config.lr_schedule, progress),
            warmup,
        }
    }

    /// The history record of an epoch.
    pub(super) fn record(
        &self,
        epoch: usize,
        sums: &EpochSums,
        (tgt_acc, tgt_majority): (f64, f64),
        (alpha, lr): (f64, f64),
        warmup: bool,
        started: Instant,
    ) -> EpochRecord {
        let mut record = EpochRecord {
            epoch,
            ce_loss: sums.mean(sums.ce),
            losses: SHIFTKIT_TERMS
                .iter()
                .map(|name| (name.to_string(), 0.0))
                .collect(),
            total_loss: sums.mean(sums.total),
            src_acc: 0.0,
            src_mae: None,
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
            alarms: Vec::new(),
        };
        // The step's source count is right predictions, or a regression's absolute errors.
        let source_mean = sums.source_correct / sums.source_seen.max(1) as f64;
        if self.config.task.is_regression() {
            record.src_mae = Some(source_mean);
        } else {
            record.src_acc = source_mean;
        }
        for (term, sum) in self.terms.iter().zip(&sums.terms) {
            record
                .losses
                .insert(term.name().to_string(), sums.mean(*sum));
        }
        record
    }
}
