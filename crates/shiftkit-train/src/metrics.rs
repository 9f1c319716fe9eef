//! What a step measures and how an epoch sums it up.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::TrainError;
use shiftkit_peers::Peers;

/// Where a step stands: its place in the run and the schedules' values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepAt {
    pub(crate) epoch: usize,
    pub(crate) step: usize,
    pub(crate) progress: f64,
    pub(crate) lr: f64,
    pub(crate) warmup: bool,
}

/// What one step measured, read back from the device.
pub(crate) struct StepNumbers {
    /// Where the step stood.
    pub(crate) at: StepAt,
    pub(crate) ce: f64,
    pub(crate) total: f64,
    /// Each term's unweighted loss, in the order of the trainer's terms.
    pub(crate) terms: Vec<f64>,
    pub(crate) source_correct: f64,
    pub(crate) disc_correct: f64,
    pub(crate) latent_norm_sum: f64,
    pub(crate) source_seen: usize,
    pub(crate) disc_seen: usize,
    /// The reversal strength the step applied (0 without an adversarial term).
    pub(crate) reversal: f64,
}

/// Running sums over an epoch.
#[derive(Default)]
pub(crate) struct EpochSums {
    pub(crate) ce: f64,
    pub(crate) total: f64,
    pub(crate) terms: Vec<f64>,
    pub(crate) source_correct: f64,
    pub(crate) source_seen: usize,
    pub(crate) disc_correct: f64,
    pub(crate) disc_seen: usize,
    pub(crate) latent_norm: f64,
    pub(crate) steps: usize,
}

impl EpochSums {
    /// Sums for `terms` adaptation terms.
    pub(crate) fn new(terms: usize) -> Self {
        Self {
            terms: vec![0.0; terms],
            ..Self::default()
        }
    }

    /// Adds a step; a step without the terms (warmup) adds 0 to theirs.
    pub(crate) fn add(&mut self, n: &StepNumbers) {
        self.ce += n.ce;
        self.total += n.total;
        for (sum, value) in self.terms.iter_mut().zip(&n.terms) {
            *sum += value;
        }
        self.source_correct += n.source_correct;
        self.disc_correct += n.disc_correct;
        self.latent_norm += n.latent_norm_sum;
        self.source_seen += n.source_seen;
        self.disc_seen += n.disc_seen;
        self.steps += 1;
    }

    /// The mean over the epoch's steps of a sum.
    pub(crate) fn mean(&self, sum: f64) -> f64 {
        sum / self.steps.max(1) as f64
    }
}

/// One target batch's tracking counts: correct predictions, predictions per class, batch size.
pub(crate) type Tracked<B> = (Tensor<B, 1, Int>, Tensor<B, 1, Int>, usize);

/// Target-tracking counts of an epoch, kept on the device until its end.
pub(crate) struct TargetTracking<B: Backend> {
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
    pub(crate) fn add(&mut self, (correct, histogram, n): Tracked<B>) {
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

    /// Target accuracy and the share of the most predicted class, over every peer's batches:
    /// one read of the device, counted in `reads`.
    ///
    /// # Errors
    ///
    /// [`TrainError::Collective`] when the sum over the peers failed.
    pub(crate) fn read(self, peers: Peers, reads: &mut usize) -> Result<(f64, f64), TrainError> {
        let (Some(correct), Some(histogram)) = (self.correct, self.histogram) else {
            return Ok((0.0, 0.0));
        };
        *reads += 1;
        let counts = Tensor::cat(vec![correct, histogram], 0);
        let (values, seen): (Vec<f64>, f64) = if peers.alone() {
            let values = counts.into_data().convert::<f64>().to_vec();
            (values.unwrap_or_default(), self.seen as f64)
        } else {
            // Counts below 2^24 add exactly in f32.
            let device = counts.device();
            let seen = Tensor::<B, 1>::from_floats([self.seen as f32], &device);
            let summed = peers.sum_inner(Tensor::cat(vec![counts.float(), seen], 0))?;
            let mut values: Vec<f64> = summed
                .into_data()
                .convert::<f64>()
                .to_vec()
                .unwrap_or_default();
            let seen = values.pop().unwrap_or(0.0);
            (values, seen)
        };
        let seen = seen.max(1.0);
        let correct = values.first().copied().unwrap_or(0.0);
        let majority = values.iter().skip(1).copied().fold(0.0, f64::max);
        Ok((correct / seen, majority / seen))
    }
}
