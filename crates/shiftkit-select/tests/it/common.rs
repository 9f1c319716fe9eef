//! Shared set-up: the two-moons task of the DANN paper, its loaders, a trainer on it, and a
//! term that makes a run diverge.
#![allow(dead_code)]

use std::sync::Arc;

use burn::backend::{Autodiff, Flex};
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use shiftkit_data::moons::MoonsConfig;
use shiftkit_data::{DomainBatch, MoonsPair, PointBatcher, PointItem};
use shiftkit_nn::{ShallowEncoder, ShallowEncoderConfig};
use shiftkit_train::terms::{AdaptationTerm, TermInputs, TermOutput};
use shiftkit_train::{DannConfig, DannTrainer, TrainError};

pub use shiftkit_testkit::{parameters, serial};

/// flex: bit-for-bit reproducible for a seed.
pub type Inner = Flex;
pub type B = Autodiff<Inner>;
pub type Trainer = DannTrainer<B, ShallowEncoder<B>, 2>;

/// The moons pair (target rotated by 35 degrees) of `seed`.
pub fn moons(seed: u64) -> MoonsPair {
    MoonsConfig::new().with_seed(seed).init().unwrap()
}

/// An evaluation loader on the inner backend.
pub fn eval_loader<D: Dataset<PointItem> + 'static>(
    dataset: D,
) -> Arc<dyn DataLoader<Inner, DomainBatch<Inner, 2>>> {
    DataLoaderBuilder::new(PointBatcher)
        .batch_size(256)
        .build(dataset)
}

/// A trainer on the moons pair with the shallow network of the paper, batches of 32.
pub fn moons_trainer(pair: &MoonsPair, config: DannConfig, seed: u64) -> Trainer {
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, seed);
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    let loader = |data, seed| -> Arc<dyn DataLoader<B, DomainBatch<B, 2>>> {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(32)
            .shuffle(seed)
            .build(data)
    };
    DannTrainer::new(
        model,
        loader(pair.source_train.clone(), seed),
        loader(pair.target_train.clone(), seed + 1),
        config.with_num_classes(2).with_seed(seed),
        &device,
    )
    .unwrap()
}

/// A term whose loss turns NaN at its `at`-th step (1-based): a run that diverges.
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
