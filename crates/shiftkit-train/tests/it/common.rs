//! Shared set-up: the two-moons task of the DANN paper, loaders, and a trainer builder.
#![allow(dead_code)]

use std::sync::Arc;

use burn::backend::{Autodiff, Flex};
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use shiftkit_data::moons::MoonsConfig;
use shiftkit_data::{DomainBatch, MoonsPair, PointBatcher, PointItem};
use shiftkit_nn::{ShallowEncoder, ShallowEncoderConfig};
use shiftkit_train::{DannConfig, DannTrainer, StepReport, TrainObserver};

pub use shiftkit_testkit::{parameters, serial};

/// flex, the default CPU backend: bit-for-bit reproducible for a seed, so every result here is
/// the same on every run (ndarray's parallel reductions are not).
pub type Inner = Flex;
pub type B = Autodiff<Inner>;
pub type Trainer = DannTrainer<B, ShallowEncoder<B>, 2>;

/// The moons pair (target rotated by 35 degrees).
pub fn moons(seed: u64) -> MoonsPair {
    MoonsConfig::new().with_seed(seed).init().unwrap()
}

/// A shuffling training loader on the autodiff backend.
pub fn train_loader<D: Dataset<PointItem> + 'static>(
    dataset: D,
    batch: usize,
    seed: u64,
) -> Arc<dyn DataLoader<B, DomainBatch<B, 2>>> {
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
