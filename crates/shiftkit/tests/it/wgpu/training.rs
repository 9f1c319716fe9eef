//! Training on wgpu (`backend::Wgpu`) agrees with training on the CPU (`backend::Cpu`, flex):
//! the same two-moons DANN run from the same weights ends with the same history and the same
//! weights, within f32 rounding, though wgpu reads the device once per window of steps and flex
//! after every step. And `--device wgpu` resolves and dispatches there, as a
//! device backend (the backend's own kernels, not the host-memory ones).

use std::path::Path;
use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::tensor::backend::Backend;
use shiftkit::backend::{Cpu, TrainingBackend, Wgpu};
use shiftkit::data::moons::MoonsConfig;
use shiftkit::data::{DomainBatch, MoonsPair, PointBatcher, PointDataset};
use shiftkit::device::{
    CpuBackend, DeviceError, DeviceRequest, OnBackend, Resolved, dispatch, wgpu_adapter,
};
use shiftkit::methods::{DannConfig, DannTrainer};
use shiftkit::nn::records::{load_bytes, to_bytes};
use shiftkit::nn::{ShallowEncoder, ShallowEncoderConfig, host_backend};
use shiftkit_testkit::{parameters, serial};

use super::adapter;

/// Largest difference allowed between the wgpu run and the flex run, on any loss, accuracy or
/// parameter. Measured worst on lavapipe: 1.4e-6 on a parameter, 5.5e-7 in the history (its
/// losses and accuracies), none on the target-test accuracy: f32 sums taken in another order
/// (and flex's fused Adam against Burn's tensor operations). The tolerance leaves a tenfold
/// margin.
const TOLERANCE: f64 = 1.5e-5;

/// What a run leaves, to compare.
struct Outcome {
    /// Per epoch: cross-entropy, domain loss, total loss, source, target and discriminator
    /// accuracy.
    history: Vec<[f64; 6]>,
    /// Target-test accuracy in evaluation mode.
    target_test: f64,
    /// Encoder and discriminator parameters.
    parameters: Vec<f32>,
    /// The trainer's reads of the device.
    reads: usize,
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

#[test]
fn dann_on_wgpu_matches_the_cpu() {
    if !adapter() {
        return;
    }
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
    let on_wgpu = {
        let device = Default::default();
        let model = ShallowEncoderConfig::new().init::<Wgpu>(&device).unwrap();
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

    assert_eq!(on_cpu.history.len(), 2);
    let worst = |pairs: &mut dyn Iterator<Item = (f64, f64)>| {
        pairs.fold(0.0_f64, |worst, (a, b)| worst.max((a - b).abs()))
    };
    let history = worst(
        &mut on_cpu
            .history
            .iter()
            .flatten()
            .zip(on_wgpu.history.iter().flatten())
            .map(|(a, b)| (*a, *b)),
    );
    let target_test = (on_cpu.target_test - on_wgpu.target_test).abs();
    assert_eq!(on_cpu.parameters.len(), on_wgpu.parameters.len());
    let parameters = worst(
        &mut on_cpu
            .parameters
            .iter()
            .zip(&on_wgpu.parameters)
            .map(|(a, b)| (f64::from(*a), f64::from(*b))),
    );
    eprintln!(
        "flex against wgpu, worst differences: history {history:e}, target-test accuracy \
         {target_test:e}, parameters {parameters:e}"
    );
    for (what, difference) in [
        ("history", history),
        ("target-test accuracy", target_test),
        ("parameters", parameters),
    ] {
        assert!(
            difference <= TOLERANCE,
            "{what}: wgpu differs from flex by {difference:e}"
        );
    }
    // The runs trained: the encoder moved from where it started.
    assert!(start.iter().zip(&on_cpu.parameters).any(|(a, b)| a != b));
    // `DeviceReads::Auto`: flex reads each of an epoch's 10 steps before applying it, wgpu
    // reads them in one window; both read the target-tracking counts at the epoch's end.
    assert_eq!(on_cpu.reads, 2 * (10 + 1));
    assert_eq!(on_wgpu.reads, 2 * (1 + 1));
}

/// The name of the backend a job runs on, and whether it computes in host memory.
struct Where;

impl OnBackend for Where {
    type Output = (String, bool);

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> (String, bool) {
        (B::name(device), host_backend::<B>(device))
    }
}

#[test]
fn the_wgpu_device_resolves_and_runs_jobs_as_a_device_backend() {
    if !adapter() {
        return;
    }
    assert_eq!(DeviceRequest::Wgpu.resolve(), Ok(Resolved::Wgpu));
    let (name, host) = dispatch(Resolved::Wgpu, CpuBackend::Flex, &Where).unwrap();
    assert!(
        name.starts_with("autodiff<") && name.contains("wgpu"),
        "{name}"
    );
    assert!(!host, "wgpu is not a host-memory backend");
    // `auto` takes wgpu only on a GPU adapter, never on a CPU one such as lavapipe.
    let adapter = wgpu_adapter().unwrap();
    let auto = DeviceRequest::Auto.resolve().unwrap();
    if !cfg!(feature = "cuda") {
        let expected = if adapter.gpu {
            Resolved::Wgpu
        } else {
            Resolved::Cpu
        };
        assert_eq!(auto, expected, "adapter {adapter}");
    }
}

/// [`Where`], compiled for the CPU backends alone.
struct OnTheCpu;

impl OnBackend for OnTheCpu {
    type Output = (String, bool);
    const ON_WGPU: bool = false;

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> (String, bool) {
        Where.run::<B>(device)
    }
}

#[test]
fn a_job_not_built_for_wgpu_is_refused_there_and_auto_leaves_it_out() {
    if !adapter() {
        return;
    }
    let refused = DeviceError::JobNotBuiltFor("wgpu");
    assert_eq!(
        DeviceRequest::Wgpu.resolve_for::<OnTheCpu>(),
        Err(refused.clone())
    );
    assert_eq!(
        dispatch(Resolved::Wgpu, CpuBackend::Flex, &OnTheCpu),
        Err(refused)
    );
    if !cfg!(feature = "cuda") {
        assert_eq!(
            DeviceRequest::Auto.resolve_for::<OnTheCpu>(),
            Ok(Resolved::Cpu)
        );
    }
    let (name, host) = dispatch(Resolved::Cpu, CpuBackend::Flex, &OnTheCpu).unwrap();
    assert_eq!((name.as_str(), host), ("autodiff<flex>", true));
}
