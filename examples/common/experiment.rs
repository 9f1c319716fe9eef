//! One training run, written once for every backend and model: build the loaders and the
//! model, train with [`DannTrainer`], evaluate on both test sets, and time it.

#![allow(dead_code)] // shared by two examples, each of which uses a subset

use std::error::Error;
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::module::{AutodiffModule, ModuleDisplay};
use burn::tensor::Tensor;
use serde::Serialize;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{DomainBatch, DomainPair};
use shiftkit::device::Resolved;
use shiftkit::methods::{DannConfig, DannTrainer, Encoder, EpochRecord};
use shiftkit::nn::NnError;

use crate::common::progress::Progress;

/// The methods compared: the library's presets.
pub use shiftkit::train::Method;

/// The CPU backend to train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuBackend {
    /// `shiftkit::backend::NdArray`: ndarray, with SIMD and threads.
    NdArray,
    /// `shiftkit::backend::Cpu`: flex, the default (faster here, and bit-reproducible).
    Flex,
}

impl fmt::Display for CpuBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CpuBackend::NdArray => "ndarray",
            CpuBackend::Flex => "flex",
        })
    }
}

impl FromStr for CpuBackend {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "ndarray" => Ok(CpuBackend::NdArray),
            "flex" => Ok(CpuBackend::Flex),
            _ => Err("expected ndarray or flex".to_string()),
        }
    }
}

/// A job that runs on whichever backend a device request resolves to. Burn's backend is a
/// type, so the runtime choice becomes a type in exactly one place: [`dispatch`].
pub trait OnBackend {
    /// What the job returns.
    type Output;

    /// Runs the job on backend `B`.
    fn run<B>(&self, device: &B::Device) -> Result<Self::Output, Box<dyn Error>>
    where
        B: TrainingBackend;
}

/// Runs `job` on the backend for `device` (and, on the CPU, the chosen CPU backend).
pub fn dispatch<J: OnBackend>(
    device: Resolved,
    backend: CpuBackend,
    job: &J,
) -> Result<J::Output, Box<dyn Error>> {
    let name = match device {
        Resolved::Cpu => backend.to_string(),
        Resolved::Cuda(_) => "cuda".to_string(),
    };
    eprintln!("device: {device} ({name})");
    match (device, backend) {
        #[cfg(feature = "ndarray")]
        (Resolved::Cpu, CpuBackend::NdArray) => {
            job.run::<shiftkit::backend::NdArray>(&Default::default())
        }
        #[cfg(feature = "flex")]
        (Resolved::Cpu, CpuBackend::Flex) => job.run::<shiftkit::backend::Cpu>(&Default::default()),
        #[cfg(feature = "cuda")]
        (Resolved::Cuda(index), _) => {
            job.run::<shiftkit::backend::Cuda>(&burn::backend::cuda::CudaDevice::new(index))
        }
        // Reached only in builds without one of the backend features.
        #[allow(unreachable_patterns)]
        _ => Err(format!(
            "this build has no {name} backend: enable its feature of the shiftkit crate"
        )
        .into()),
    }
}

/// How long to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// About this many optimiser steps, rounded up to whole epochs.
    Steps(usize),
    /// Exactly this many epochs.
    Epochs(usize),
}

impl Length {
    /// The epochs to train, given the steps in one epoch.
    pub fn epochs(self, steps_per_epoch: usize) -> usize {
        match self {
            Length::Steps(steps) => steps.div_ceil(steps_per_epoch.max(1)).max(1),
            Length::Epochs(epochs) => epochs,
        }
    }
}

/// Everything that defines one run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub method: Method,
    /// The model's name in the outputs (`mlp`, `cnn`, `shallow`).
    pub model: &'static str,
    pub seed: u64,
    /// The method's configuration (its seed is set from `seed`).
    pub config: DannConfig,
    /// Examples per batch, in each domain.
    pub batch_size: usize,
    pub length: Length,
}

impl RunSpec {
    /// `method_model_seedN`, the stem of this run's file names.
    pub fn stem(&self) -> String {
        format!("{}_{}_seed{}", self.method, self.model, self.seed)
    }
}

/// One line of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub method: &'static str,
    pub model: &'static str,
    pub seed: u64,
    /// Accuracy on the held-out target test set, in evaluation mode.
    pub target_accuracy: f64,
    /// Accuracy on the held-out source test set, in evaluation mode.
    pub source_accuracy: f64,
    /// Seconds of training (evaluation excluded).
    pub seconds: f64,
    pub steps_per_second: f64,
}

/// A finished run: its summary and its per-epoch history.
#[derive(Debug, Clone)]
pub struct Run {
    pub spec: RunSpec,
    pub record: RunRecord,
    pub history: Vec<EpochRecord>,
}

/// Trains one model on `pair` as `spec` says and measures it; returns the run and the trainer
/// (which holds the trained model).
///
/// The backend is seeded with `spec.seed` before `build_model` draws the weights, so a run is
/// reproducible. Training loaders shuffle (seeds `seed + 1` and `seed + 2`) on the autodiff
/// backend `B`; the evaluation loaders read the test sets in order, 512 at a time, on its
/// inner backend, where the model runs in evaluation mode (no dropout, batch-norm running
/// statistics).
pub fn train_and_evaluate<B, M, I, Ds, Bt, const D: usize>(
    spec: &RunSpec,
    pair: &DomainPair<Ds>,
    batcher: Bt,
    build_model: impl FnOnce(&B::Device) -> Result<M, NnError>,
    device: &B::Device,
) -> Result<(Run, DannTrainer<B, M, D>), Box<dyn Error>>
where
    // What DannTrainer needs of the backend and the model (see its impl block).
    B: TrainingBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
    // One batcher serves both backends: training batches and evaluation batches.
    Bt: Batcher<B, I, DomainBatch<B, D>>
        + Batcher<B::InnerBackend, I, DomainBatch<B::InnerBackend, D>>
        + Clone
        + 'static,
    I: Send + Sync + Clone + fmt::Debug + 'static,
    Ds: Dataset<I> + Clone + 'static,
{
    B::seed(device, spec.seed);
    let model = build_model(device)?;
    let train_loader = |data: &Ds, stream: u64| {
        DataLoaderBuilder::<B, I, DomainBatch<B, D>>::new(batcher.clone())
            .batch_size(spec.batch_size)
            .shuffle(spec.seed + stream)
            .set_device(device.clone())
            .build(data.clone())
    };
    let mut trainer = DannTrainer::new(
        model,
        train_loader(&pair.source_train, 1),
        train_loader(&pair.target_train, 2),
        spec.config.clone().with_seed(spec.seed),
        device,
    )?;

    let epochs = spec.length.epochs(trainer.steps_per_epoch());
    let label = format!("{} {} seed {}", spec.method, spec.model, spec.seed);
    let mut progress = Progress::new(label, epochs);
    let started = Instant::now();
    let history = trainer.fit_observed(epochs, &mut progress)?;
    let seconds = started.elapsed().as_secs_f64();

    let accuracy = |data: &Ds, name: &str| {
        let loader = DataLoaderBuilder::<B::InnerBackend, I, _>::new(batcher.clone())
            .batch_size(512)
            .set_device(device.clone())
            .build(data.clone());
        trainer.evaluate(loader.as_ref(), name).map(|r| r.accuracy)
    };
    let target_accuracy = accuracy(&pair.target_test, "target-test")?;
    let source_accuracy = accuracy(&pair.source_test, "source-test")?;
    let steps_per_second = trainer.steps_done() as f64 / seconds.max(1e-9);
    progress.finish(&format!(
        "target {:.1}%  source {:.1}%  ({epochs} epochs, {} steps, {seconds:.1} s, {steps_per_second:.0} steps/s)",
        100.0 * target_accuracy,
        100.0 * source_accuracy,
        trainer.steps_done(),
    ));

    let record = RunRecord {
        method: spec.method.name(),
        model: spec.model,
        seed: spec.seed,
        target_accuracy,
        source_accuracy,
        seconds,
        steps_per_second,
    };
    let run = Run {
        spec: spec.clone(),
        record,
        history,
    };
    Ok((run, trainer))
}
