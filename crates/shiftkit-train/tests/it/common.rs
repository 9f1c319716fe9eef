//! Shared set-up: the two-moons task of the DANN paper, loaders, and a trainer builder.
#![allow(dead_code)]

use std::sync::Arc;

use burn::backend::{Autodiff, Flex};
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use shiftkit_data::moons::MoonsConfig;
use shiftkit_data::{DomainBatch, MoonsPair, PointBatcher, PointDataset, PointItem};
use shiftkit_nn::{ShallowEncoder, ShallowEncoderConfig};
use shiftkit_train::terms::{AdaptationTerm, TermInputs, TermOutput};
use shiftkit_train::{
    DannConfig, DannTrainer, EpochRecord, GAMMA, StepReport, TrainError, TrainObserver,
    scheduled_alpha,
};

pub use shiftkit_testkit::{Scratch, parameters, serial};

/// flex, the default CPU backend: bit-for-bit reproducible for a seed, so every result here is
/// the same on every run (ndarray's parallel reductions are not).
pub type Inner = Flex;
pub type B = Autodiff<Inner>;
pub type Trainer = DannTrainer<B, ShallowEncoder<B>, 2>;

/// The moons pair (target rotated by 35 degrees).
pub fn moons(seed: u64) -> MoonsPair {
    MoonsConfig::new().with_seed(seed).init().unwrap()
}

/// A training loader: batches of points on the autodiff backend.
pub type Loader = Arc<dyn DataLoader<B, DomainBatch<B, 2>>>;

/// A shuffling training loader on the autodiff backend.
pub fn train_loader<D: Dataset<PointItem> + 'static>(
    dataset: D,
    batch: usize,
    seed: u64,
) -> Loader {
    DataLoaderBuilder::new(PointBatcher)
        .batch_size(batch)
        .shuffle(seed)
        .build(dataset)
}

/// An evaluation loader on the inner backend.
pub fn eval_loader<D: Dataset<PointItem> + 'static>(
    dataset: D,
) -> Arc<dyn DataLoader<Inner, DomainBatch<Inner, 2>>> {
    DataLoaderBuilder::new(PointBatcher)
        .batch_size(256)
        .build(dataset)
}

/// The trainer's accuracy on `dataset`, evaluated under the name `domain`.
pub fn accuracy(trainer: &Trainer, dataset: &PointDataset, domain: &str) -> f64 {
    trainer
        .evaluate(eval_loader(dataset.clone()).as_ref(), domain)
        .unwrap()
        .accuracy
}

/// A trainer on the moons pair with the shallow network of the paper.
pub fn moons_trainer(pair: &MoonsPair, config: DannConfig, seed: u64) -> Trainer {
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, seed);
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    DannTrainer::new(
        model,
        train_loader(pair.source_train.clone(), 32, seed),
        train_loader(pair.target_train.clone(), 32, seed + 1),
        config.with_num_classes(2).with_seed(seed),
        &device,
    )
    .unwrap()
}

/// A trainer on the moons pair of `seed`, seeded with `seed`.
pub fn seeded_trainer(config: DannConfig, seed: u64) -> Trainer {
    moons_trainer(&moons(seed), config, seed)
}

/// A [`seeded_trainer`] after `epochs` epochs: the trainer, its history of those epochs and the
/// report of every step.
pub fn observed_run(
    config: DannConfig,
    seed: u64,
    epochs: usize,
) -> (Trainer, Vec<EpochRecord>, Steps) {
    let mut trainer = seeded_trainer(config, seed);
    let mut steps = Steps::default();
    let history = trainer.fit_observed(epochs, &mut steps).unwrap();
    (trainer, history, steps)
}

/// Asserts that `alphas`, one per step, follow the schedule of [`scheduled_alpha`] to `alpha`
/// over `steps` steps from its start.
#[track_caller]
pub fn assert_ramp(alphas: &[f64], alpha: f64, steps: usize) {
    for (k, got) in alphas.iter().enumerate() {
        let expected = scheduled_alpha(alpha, GAMMA, k as f64 / steps as f64);
        assert!(
            (got - expected).abs() < 1e-12,
            "step {k}: {got} vs {expected}"
        );
    }
}

/// An observer that keeps every step report.
#[derive(Default)]
pub struct Steps(pub Vec<StepReport>);

impl Steps {
    /// The reversal strength of every step, in order.
    pub fn alphas(&self) -> Vec<f64> {
        self.0.iter().map(|r| r.alpha).collect()
    }
}

impl TrainObserver for Steps {
    fn on_step(&mut self, report: &StepReport) {
        self.0.push(report.clone());
    }
}

/// A term whose loss turns NaN at its `at`-th step (1-based), as an overflowing loss would; 0
/// (no gradient) before and after.
pub struct Poison {
    at: usize,
    calls: usize,
}

impl Poison {
    /// NaN at step `at` of the term's (1-based).
    pub fn at(at: usize) -> Self {
        Self { at, calls: 0 }
    }
}

impl AdaptationTerm<B> for Poison {
    fn name(&self) -> &str {
        "poison"
    }

    fn weight(&self, _progress: f64) -> f64 {
        1.0
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        self.calls += 1;
        let scale = if self.calls == self.at { f32::NAN } else { 0.0 };
        let loss = inputs.source_features.clone().sum().mul_scalar(scale);
        Ok(TermOutput::loss(loss))
    }
}
