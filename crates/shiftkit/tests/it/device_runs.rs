//! One two-moons DANN run on the CPU (flex) and on a device backend from the same weights,
//! compared: the wgpu and CUDA tests' shared half.

use std::path::Path;
use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::tensor::backend::Backend;
use shiftkit::backend::{Cpu, TrainingBackend};
use shiftkit::data::moons::MoonsConfig;
use shiftkit::data::{DomainBatch, MoonsPair, PointBatcher, PointDataset};
use shiftkit::methods::{DannConfig, DannTrainer};
use shiftkit::nn::records::{load_bytes, to_bytes};
use shiftkit::nn::{ShallowEncoder, ShallowEncoderConfig};
use shiftkit_testkit::{parameters, serial};

/// Largest difference allowed between the wgpu run and the flex run, on any loss, accuracy or
/// parameter. Measured worst on lavapipe: 1.4e-6 on a parameter, 5.5e-7 in the history (its
/// losses and accuracies), none on the target-test accuracy: f32 sums taken in another order
/// (and flex's fused Adam against Burn's tensor operations). The tolerance leaves a tenfold
/// margin.
pub const TOLERANCE: f64 = 1.5e-5;

/// What a run leaves, to compare.
pub struct Outcome {
    /// Per epoch: cross-entropy, domain loss, total loss, source, target and discriminator
    /// accuracy.
    pub history: Vec<[f64; 6]>,
    /// Target-test accuracy in evaluation mode.
    pub target_test: f64,
    /// Encoder and discriminator parameters.
    pub parameters: Vec<f32>,
    /// The trainer's reads of the device.
    pub reads: usize,
}

/// A two-moons DANN trainer for `model` on backend `B`: batches of 32, unshuffled; no
/// dropout, whose masks are the backend's random draws (which differ between backends).
fn trainer<B: TrainingBackend>(model: ShallowEncoder<B>) -> DannTrainer<B, ShallowEncoder<B>, 2> {
    let device = B::Device::default();
    let pair = moons();
    let loader = |data: &PointDataset| -> Arc<dyn DataLoader<B, DomainBatch<B, 2>>> {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(32)
            .set_device(device.clone())
            .build(data.clone())
    };
    let config = DannConfig::new()
        .with_num_classes(2)
        .with_seed(3)
        .with_lr(0.01)
        .with_discriminator_dropout(0.0);
    DannTrainer::new(
        model,
        loader(&pair.source_train),
        loader(&pair.target_train),
        config,
        &device,
    )
    .unwrap()
}

/// The two moons, 320 training points per domain: 10 steps of 32 an epoch.
fn moons() -> MoonsPair {
    MoonsConfig::new()
        .with_seed(7)
        .with_n_samples(400)
        .init()
        .unwrap()
}

/// Two epochs of `trainer`, then its target-test accuracy.
fn outcome<B: TrainingBackend>(mut trainer: DannTrainer<B, ShallowEncoder<B>, 2>) -> Outcome {
    let history = trainer.fit(2).unwrap();
    let test = DataLoaderBuilder::<B::InnerBackend, _, _>::new(PointBatcher)
        .batch_size(256)
        .set_device(B::Device::default())
        .build(moons().target_test);
    let target_test = trainer
        .evaluate(test.as_ref(), "target-test")
        .unwrap()
        .accuracy;
    Outcome {
        history: history
            .iter()
            .map(|r| {
                [
                    r.ce_loss,
                    r.loss("domain"),
                    r.total_loss,
                    r.src_acc,
                    r.tgt_acc,
                    r.disc_acc,
                ]
            })
            .collect(),
        target_test,
        parameters: [
            parameters(trainer.model()),
            parameters(trainer.discriminator()),
        ]
        .concat(),
        reads: trainer.host_reads(),
    }
}

/// The flex run and the run on `D` from the same starting weights; the flex run's starting
/// encoder parameters.
pub fn on_cpu_and<D: TrainingBackend>() -> (Outcome, Outcome, Vec<f32>) {
    // The flex run, seeded; its starting encoder and discriminator, as record bytes, are the
    // wgpu run's.
    let (on_cpu, weights, start) = {
        let _rng = serial();
        let device = Default::default();
        Cpu::seed(&device, 3);
        let trainer = trainer(ShallowEncoderConfig::new().init::<Cpu>(&device).unwrap());
        let weights = (
            to_bytes::<Cpu, _>(trainer.model(), Path::new("encoder")).unwrap(),
            to_bytes::<Cpu, _>(trainer.discriminator(), Path::new("discriminator")).unwrap(),
        );
        let start = parameters(trainer.model());
        (outcome(trainer), weights, start)
    };
    let on_device = {
        let device = Default::default();
        let model = ShallowEncoderConfig::new().init::<D>(&device).unwrap();
        let model = load_bytes(model, &weights.0, Path::new("encoder"), &device).unwrap();
        let trainer = trainer(model);
        let discriminator = load_bytes(
            trainer.discriminator().clone(),
            &weights.1,
            Path::new("discriminator"),
            &device,
        )
        .unwrap();
        outcome(trainer.with_discriminator(discriminator).unwrap())
    };
    (on_cpu, on_device, start)
}

/// The worst differences between two runs: history, target-test accuracy, parameters.
pub fn differences(on_cpu: &Outcome, on_device: &Outcome) -> [(&'static str, f64); 3] {
    let worst = |pairs: &mut dyn Iterator<Item = (f64, f64)>| {
        pairs.fold(0.0_f64, |worst, (a, b)| worst.max((a - b).abs()))
    };
    let history = worst(
        &mut on_cpu
            .history
            .iter()
            .flatten()
            .zip(on_device.history.iter().flatten())
            .map(|(a, b)| (*a, *b)),
    );
    let target_test = (on_cpu.target_test - on_device.target_test).abs();
    assert_eq!(on_cpu.parameters.len(), on_device.parameters.len());
    let parameters = worst(
        &mut on_cpu
            .parameters
            .iter()
            .zip(&on_device.parameters)
            .map(|(a, b)| (f64::from(*a), f64::from(*b))),
    );
    [
        ("history", history),
        ("target-test accuracy", target_test),
        ("parameters", parameters),
    ]
}
