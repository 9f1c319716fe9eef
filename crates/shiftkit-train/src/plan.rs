//! The shape of an epoch: how many steps, how source and target batches pair, where the
//! schedules stand.

use burn::data::dataloader::{DataLoader, DataLoaderIterator};
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor};
use serde::{Deserialize, Serialize};
use shiftkit_data::DomainBatch;

use crate::TrainError;
use crate::schedule::{Pairing, ScheduleGranularity};

/// The shape of the training ahead, fixed at the start of a `fit`.
pub(crate) struct Plan {
    pub(crate) steps_per_epoch: usize,
    pub(crate) total_steps: usize,
    pub(crate) adaptation_epochs: usize,
    pub(crate) adaptation_steps: usize,
}

impl Plan {
    /// The plan of a run of `planned_epochs` in all, the first `warmup_epochs` being warmup.
    pub(crate) fn new(steps_per_epoch: usize, planned_epochs: usize, warmup_epochs: usize) -> Self {
        let adaptation_epochs = planned_epochs.saturating_sub(warmup_epochs);
        Self {
            steps_per_epoch,
            total_steps: planned_epochs * steps_per_epoch,
            adaptation_epochs,
            adaptation_steps: adaptation_epochs * steps_per_epoch,
        }
    }

    /// `p`, the progress of the adaptation phase that the ramps follow: per step, after
    /// `adaptation_steps_done` adaptation steps, or per epoch, in adaptation epoch
    /// `adaptation_epoch` (1-based).
    pub(crate) fn ramp_progress(
        &self,
        granularity: ScheduleGranularity,
        adaptation_steps_done: usize,
        adaptation_epoch: usize,
    ) -> f64 {
        match granularity {
            ScheduleGranularity::Step => {
                adaptation_steps_done as f64 / self.adaptation_steps.max(1) as f64
            }
            ScheduleGranularity::Epoch => {
                adaptation_epoch as f64 / self.adaptation_epochs.max(1) as f64
            }
        }
    }
}

/// Which training batches an epoch takes: all of them, or only those of the loader's full
/// batch size.
///
/// A GPU backend compiles and tunes its kernels for every new input shape it meets (Burn's
/// autotuning), and a loader's last, partial batch is one such shape, met again in every pass
/// of a cycled loader. On a backend that keeps tensors in host memory (flex, ndarray) a shape
/// costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum BatchShapes {
    /// [`Fixed`](Self::Fixed) on a backend whose tensors are not in host memory (CUDA, wgpu),
    /// [`AsLoaded`](Self::AsLoaded) on flex and ndarray.
    #[default]
    Auto,
    /// Every training batch has the loader's batch size (the length of its longest batch): a
    /// shorter batch is skipped, and a cycled loader goes on with its next pass (reshuffled,
    /// when it shuffles), so the examples it would have held are met in later passes, as with
    /// PyTorch's `drop_last=True`. (A dataset smaller than one batch gives one batch, its
    /// longest, which is kept.)
    Fixed,
    /// Every batch the loaders give, the partial ones included.
    AsLoaded,
}

impl BatchShapes {
    /// Whether partial batches are skipped, on a backend whose memory is (`host`) or is not
    /// the host's.
    pub(crate) fn fixed(self, host: bool) -> bool {
        match self {
            Self::Auto => !host,
            Self::Fixed => true,
            Self::AsLoaded => false,
        }
    }
}

/// Optimiser steps per epoch for loaders of `source` and `target` batches.
pub(crate) fn steps_per_epoch(pairing: Pairing, source: usize, target: usize) -> usize {
    match pairing {
        Pairing::Cycle => source.max(target),
        Pairing::Shortest => source.min(target),
    }
}

/// The iterator of a loader that starts over when it runs out.
pub(crate) struct Cycler<'a, B: Backend, const D: usize> {
    loader: &'a dyn DataLoader<B, DomainBatch<B, D>>,
    iter: Box<dyn DataLoaderIterator<DomainBatch<B, D>> + 'a>,
    /// The only batch length taken, when batch shapes are fixed.
    only: Option<usize>,
}

impl<'a, B: Backend, const D: usize> Cycler<'a, B, D> {
    /// Cycles `loader`, taking only batches of length `only` when given.
    pub(crate) fn new(
        loader: &'a dyn DataLoader<B, DomainBatch<B, D>>,
        only: Option<usize>,
    ) -> Self {
        Self {
            loader,
            iter: loader.iter(),
            only,
        }
    }

    /// The next batch (of length `only`, when given), starting the loader over (reshuffled,
    /// if it shuffles) when it is exhausted.
    pub(crate) fn next(&mut self) -> Option<DomainBatch<B, D>> {
        // A scanned loader has a batch of length `only` in every pass: two passes find one.
        for _ in 0..2 {
            for batch in self.iter.by_ref() {
                // An empty batch (which the scan does not count) is never a step.
                if !batch.is_empty() && self.only.is_none_or(|n| batch.len() == n) {
                    return Some(batch);
                }
            }
            self.iter = self.loader.iter();
        }
        None
    }
}

/// What a scan of a loader found: its batches and the dimensions of one input.
pub(crate) struct Scan {
    pub(crate) batches: usize,
    /// The length of its longest batch, and how many batches have it.
    pub(crate) batch_size: usize,
    pub(crate) full_batches: usize,
    pub(crate) input_dims: Vec<usize>,
}

impl Scan {
    /// Batches a pass yields (`fixed`: only the full ones), and the only length taken.
    pub(crate) fn batches(&self, fixed: bool) -> (usize, Option<usize>) {
        if fixed {
            (self.full_batches, Some(self.batch_size))
        } else {
            (self.batches, None)
        }
    }
}

/// Reads a loader once: counts its batches and checks labels, lengths, the inputs' shape (the
/// same in every batch) and that every input value is finite.
pub(crate) fn scan_loader<B: Backend, const D: usize>(
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    domain: &str,
    num_classes: usize,
    values: bool,
) -> Result<Scan, TrainError> {
    let mut lengths = Vec::new();
    let mut input_dims: Option<Vec<usize>> = None;
    for batch in loader.iter() {
        let dims = batch.inputs.dims();
        let inputs = batch_length(&batch, domain)?;
        if inputs == 0 {
            continue;
        }
        let first = input_dims.get_or_insert_with(|| dims[1..].to_vec());
        if first[..] != dims[1..] {
            return Err(TrainError::InputShape {
                domain: domain.to_string(),
                expected: first.clone(),
                found: dims[1..].to_vec(),
            });
        }
        check_values(batch, domain, lengths.len() + 1, num_classes, values)?;
        lengths.push(inputs);
    }
    let batch_size = lengths.iter().copied().max().unwrap_or(0);
    let full_batches = lengths.iter().filter(|&&n| n == batch_size).count();
    match input_dims {
        Some(input_dims) if !lengths.is_empty() => Ok(Scan {
            batches: lengths.len(),
            batch_size,
            full_batches,
            input_dims,
        }),
        _ => Err(TrainError::EmptyLoader {
            domain: domain.to_string(),
        }),
    }
}

/// Checks that batch number `index` (from 1) of `domain` has finite inputs and labels below
/// `num_classes`, and with `values`, finite values.
fn check_values<B: Backend, const D: usize>(
    batch: DomainBatch<B, D>,
    domain: &str,
    index: usize,
    num_classes: usize,
    values: bool,
) -> Result<(), TrainError> {
    let any_non_finite = |x: Tensor<B, D>| {
        x.is_finite()
            .bool_not()
            .any()
            .int()
            .into_scalar()
            .elem::<i64>()
            != 0
    };
    if any_non_finite(batch.inputs) {
        return Err(TrainError::NonFiniteInput {
            domain: domain.to_string(),
            batch: index,
        });
    }
    if values {
        let Some(values) = batch.values else {
            return Err(TrainError::MissingValues {
                domain: domain.to_string(),
            });
        };
        let non_finite = values.is_finite().bool_not().any().int().into_scalar();
        if non_finite.elem::<i64>() != 0 {
            return Err(TrainError::NonFiniteValue {
                domain: domain.to_string(),
                batch: index,
            });
        }
    }
    check_labels(batch.labels, domain, num_classes)
}

/// Checks a batch given to one step ([`DannTrainer::train_step`](crate::DannTrainer::train_step))
/// against what the scan of its loader found: at least one example, as many labels as inputs,
/// inputs shaped as the loader's, and, with `num_classes` (the source's, whose labels the step
/// reads), labels in range. Reads only those labels from the device; a non-finite input is left
/// to the step, which then stops with [`TrainError::NonFiniteLoss`] without applying itself.
pub(crate) fn check_step_batch<B: Backend, const D: usize>(
    batch: &DomainBatch<B, D>,
    domain: &str,
    scan: &Scan,
    num_classes: Option<usize>,
) -> Result<(), TrainError> {
    let dims = batch.inputs.dims();
    if batch_length(batch, domain)? == 0 {
        return Err(TrainError::EmptyBatch {
            domain: domain.to_string(),
        });
    }
    if dims[1..] != scan.input_dims[..] {
        return Err(TrainError::InputShape {
            domain: domain.to_string(),
            expected: scan.input_dims.clone(),
            found: dims[1..].to_vec(),
        });
    }
    match num_classes {
        Some(classes) => check_labels(batch.labels.clone(), domain, classes),
        None => Ok(()),
    }
}

/// The examples of a batch of `domain`: its inputs', which must be as many as its labels.
fn batch_length<B: Backend, const D: usize>(
    batch: &DomainBatch<B, D>,
    domain: &str,
) -> Result<usize, TrainError> {
    let (inputs, labels) = (batch.inputs.dims()[0], batch.len());
    if inputs != labels {
        return Err(TrainError::BatchLengthMismatch {
            domain: domain.to_string(),
            inputs,
            labels,
        });
    }
    Ok(inputs)
}

/// Checks that every label of `domain` is below `num_classes` (and not negative).
fn check_labels<B: Backend>(
    labels: Tensor<B, 1, Int>,
    domain: &str,
    num_classes: usize,
) -> Result<(), TrainError> {
    let labels: Vec<i64> = labels
        .into_data()
        .convert::<i64>()
        .to_vec()
        .unwrap_or_default();
    match labels.iter().find(|&&l| l < 0 || l >= num_classes as i64) {
        Some(&label) => Err(TrainError::LabelOutOfRange {
            domain: domain.to_string(),
            label,
            num_classes,
        }),
        None => Ok(()),
    }
}
