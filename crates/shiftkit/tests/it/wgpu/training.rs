//! Training on wgpu (`backend::Wgpu`) agrees with training on the CPU (`backend::Cpu`, flex):
//! the same two-moons DANN run from the same weights ends with the same history and the same
//! weights, within f32 rounding, though wgpu reads the device once per window of steps and flex
//! after every step. And `--device wgpu` resolves and dispatches there, as a
//! device backend (the backend's own kernels, not the host-memory ones).

use shiftkit::backend::{TrainingBackend, Wgpu};
use shiftkit::device::{
    CpuBackend, DeviceError, DeviceRequest, OnBackend, Resolved, dispatch, wgpu_adapter,
};
use shiftkit::nn::host_backend;

use super::adapter;
use crate::device_runs::{TOLERANCE, differences, on_cpu_and};

#[test]
fn dann_on_wgpu_matches_the_cpu() {
    if !adapter() {
        return;
    }
    let (on_cpu, on_wgpu, start) = on_cpu_and::<Wgpu>();
    assert_eq!(on_cpu.history.len(), 2);
    let differences = differences(&on_cpu, &on_wgpu);
    eprintln!("flex against wgpu, worst differences: {differences:?}");
    for (what, difference) in differences {
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
