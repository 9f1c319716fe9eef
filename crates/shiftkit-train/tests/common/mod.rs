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

/// Every float parameter of a module, flattened, in visiting order.
pub fn parameters<Bk: burn::tensor::backend::Backend, M: burn::module::Module<Bk>>(
    module: &M,
) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl<Bk: burn::tensor::backend::Backend> burn::module::ModuleVisitor<Bk> for Collect {
        fn visit_float<const D: usize>(
            &mut self,
            param: &burn::module::Param<burn::tensor::Tensor<Bk, D>>,
        ) {
            let values = param.val().into_data().convert::<f32>();
            self.0.extend(values.to_vec::<f32>().unwrap());
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
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

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The backend's random generator is global to the process: a test that compares two runs
/// holds this lock while it trains, so no other test of its binary draws in between.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
