//! Choosing where training runs: `auto`, `cpu`, `cuda[:N]` or `wgpu`, and running a job there.
//!
//! The backend is a type in Burn, so a choice made at run time (a command-line option, a
//! config file) has to become a type somewhere. [`dispatch`] is that place: a job written once,
//! generic over [`TrainingBackend`], implements [`OnBackend`], and `dispatch` runs it on the
//! backend that a [`Resolved`] device and a [`CpuBackend`] name.
//!
//! ```no_run
//! use shiftkit::backend::TrainingBackend;
//! use shiftkit::device::{CpuBackend, DeviceRequest, OnBackend, dispatch};
//!
//! /// The name of the backend the job landed on.
//! struct Where;
//!
//! impl OnBackend for Where {
//!     type Output = String;
//!
//!     fn run<B: TrainingBackend>(&self, device: &B::Device) -> String {
//!         B::name(device)
//!     }
//! }
//!
//! let device = DeviceRequest::Auto.resolve()?;
//! let name = dispatch(device, CpuBackend::Flex, &Where)?;
//! # Ok::<(), shiftkit::device::DeviceError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::backend::TrainingBackend;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceRequest {
    /// The first that answers of: CUDA (a build with the `cuda` feature), a GPU through wgpu (a
    /// build with the `wgpu` feature, and an adapter that is a GPU: integrated, discrete or
    /// virtual), the CPU.
    ///
    /// A CPU adapter of wgpu, such as Mesa's lavapipe (Vulkan in software), is never chosen
    /// here: the CPU backends run the same work faster. Ask for [`Wgpu`](Self::Wgpu) to use one.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// The CUDA GPU with this index.
    Cuda(usize),
    /// Burn's default wgpu device: the adapter wgpu ranks first (a discrete GPU before an
    /// integrated one, a CPU adapter only where there is nothing else), on the platform's
    /// graphics API (Vulkan on Linux and Windows, Metal on macOS).
    Wgpu,
}

/// Where training will run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The CPU.
    Cpu,
    /// The CUDA GPU with this index (only in builds with the `cuda` feature).
    Cuda(usize),
    /// Burn's default wgpu device (only in builds with the `wgpu` feature); [`wgpu_adapter`]
    /// says which adapter it is.
    Wgpu,
}

/// Why a device request cannot be met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The text is not `auto`, `cpu`, `cuda`, `cuda:N` or `wgpu`.
    #[error("unknown device `{0}`: expected auto, cpu, cuda, cuda:N or wgpu")]
    Unknown(String),
    /// CUDA was asked for, but this build has no CUDA backend.
    #[error("CUDA was requested but shiftkit was built without the `cuda` feature")]
    CudaNotBuilt,
    /// CUDA was asked for, but no GPU answered.
    #[error("CUDA device {0} did not answer")]
    CudaUnavailable(usize),
    /// wgpu was asked for, but this build has no wgpu backend.
    #[error("wgpu was requested but shiftkit was built without the `wgpu` feature")]
    WgpuNotBuilt,
    /// wgpu was asked for, but no adapter answered.
    #[error(
        "no wgpu adapter answered: no Vulkan (Linux, Windows) or Metal (macOS) driver with a \
         usable device; on Linux without a GPU, Mesa's lavapipe (package mesa-vulkan-drivers) \
         provides a CPU one"
    )]
    WgpuUnavailable,
    /// The CPU backend asked for is not in this build.
    #[error("this build has no {0} backend: enable the `{0}` feature of the shiftkit crate")]
    CpuBackendNotBuilt(CpuBackend),
    /// The job was not compiled for the backend asked for, `"ndarray"`, `"cuda"` or `"wgpu"`
    /// ([`OnBackend::ON_NDARRAY`], [`OnBackend::ON_CUDA`], [`OnBackend::ON_WGPU`]).
    #[error("this program was built without the {0} backend: enable its own `{0}` feature")]
    JobNotBuiltFor(&'static str),
    /// The text is not `flex` or `ndarray`.
    #[error("unknown CPU backend `{0}`: expected flex or ndarray")]
    UnknownCpuBackend(String),
}

/// Which CPU backend runs a job on [`Resolved::Cpu`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuBackend {
    /// [`backend::Cpu`](crate::backend::Cpu), flex: the default, faster on the reference
    /// networks and bit-for-bit reproducible for a seed.
    #[default]
    Flex,
    /// [`backend::NdArray`](crate::backend::NdArray): ndarray, with SIMD and threads.
    NdArray,
}

impl fmt::Display for CpuBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flex => "flex",
            Self::NdArray => "ndarray",
        })
    }
}

impl FromStr for CpuBackend {
    type Err = DeviceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "flex" => Ok(Self::Flex),
            "ndarray" => Ok(Self::NdArray),
            _ => Err(DeviceError::UnknownCpuBackend(text.to_string())),
        }
    }
}

/// A job written once for every backend: [`dispatch`] calls [`run`](Self::run) with the
/// backend a run-time device choice resolved to.
///
/// The job's own failures belong in its `Output` (say `Result<T, MyError>`); `dispatch` only
/// adds the case of a backend missing from the build.
pub trait OnBackend {
    /// What the job returns.
    type Output;

    /// Whether [`dispatch`] compiles the job for ndarray too (in a build with this crate's
    /// `ndarray` feature). A program that offers ndarray only in some builds says `false` in
    /// the others: the job is then never compiled for it (one backend less to build), and
    /// asking for it gives [`DeviceError::JobNotBuiltFor`].
    const ON_NDARRAY: bool = true;

    /// Whether [`dispatch`] compiles the job for CUDA (in a build with this crate's `cuda`
    /// feature), as [`ON_NDARRAY`](Self::ON_NDARRAY) for ndarray;
    /// [`DeviceRequest::resolve_for`] then never chooses it.
    const ON_CUDA: bool = true;

    /// Whether [`dispatch`] compiles the job for wgpu (in a build with this crate's `wgpu`
    /// feature), as [`ON_NDARRAY`](Self::ON_NDARRAY) for ndarray;
    /// [`DeviceRequest::resolve_for`] then never chooses it.
    const ON_WGPU: bool = true;

    /// Runs the job on backend `B`, with tensors on `device`.
    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output;
}

/// Runs `job` on the backend for `device`: on [`Resolved::Cpu`] the `cpu` backend
/// ([`backend::Cpu`](crate::backend::Cpu) or [`backend::NdArray`](crate::backend::NdArray)),
/// on [`Resolved::Cuda`] `backend::Cuda` (the `cuda` feature) on that GPU, on
/// [`Resolved::Wgpu`] `backend::Wgpu` (the `wgpu` feature) on Burn's default wgpu device.
///
/// # Errors
///
/// [`DeviceError::CpuBackendNotBuilt`] when `cpu` names a backend whose feature this build
/// lacks; [`DeviceError::CudaNotBuilt`] for a CUDA device in a build without the `cuda`
/// feature; [`DeviceError::WgpuNotBuilt`] for the wgpu device in a build without the `wgpu`
/// feature.
pub fn dispatch<J: OnBackend>(
    device: Resolved,
    cpu: CpuBackend,
    job: &J,
) -> Result<J::Output, DeviceError> {
    match (device, cpu) {
        #[cfg(feature = "flex")]
        (Resolved::Cpu, CpuBackend::Flex) => {
            Ok(job.run::<crate::backend::Cpu>(&Default::default()))
        }
        // A constant condition: where it is false, the compiler never instantiates the job for
        // ndarray.
        #[cfg(feature = "ndarray")]
        (Resolved::Cpu, CpuBackend::NdArray) => {
            if J::ON_NDARRAY {
                Ok(job.run::<crate::backend::NdArray>(&Default::default()))
            } else {
                Err(DeviceError::JobNotBuiltFor("ndarray"))
            }
        }
        #[cfg(feature = "cuda")]
        (Resolved::Cuda(index), _) => {
            if J::ON_CUDA {
                let device = burn::backend::cuda::CudaDevice::new(index);
                Ok(job.run::<crate::backend::Cuda>(&device))
            } else {
                Err(DeviceError::JobNotBuiltFor("cuda"))
            }
        }
        #[cfg(feature = "wgpu")]
        (Resolved::Wgpu, _) => {
            if J::ON_WGPU {
                Ok(job.run::<crate::backend::Wgpu>(&Default::default()))
            } else {
                Err(DeviceError::JobNotBuiltFor("wgpu"))
            }
        }
        // Reached only in builds without one of the backend features.
        #[allow(unreachable_patterns)]
        (Resolved::Cpu, cpu) => Err(DeviceError::CpuBackendNotBuilt(cpu)),
        #[allow(unreachable_patterns)]
        (Resolved::Cuda(_), _) => Err(DeviceError::CudaNotBuilt),
        #[allow(unreachable_patterns)]
        (Resolved::Wgpu, _) => Err(DeviceError::WgpuNotBuilt),
    }
}

impl FromStr for DeviceRequest {
    type Err = DeviceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda(0)),
            "wgpu" => Ok(Self::Wgpu),
            other => other
                .strip_prefix("cuda:")
                .and_then(|index| index.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| DeviceError::Unknown(text.to_string())),
        }
    }
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => write!(f, "cpu"),
            Self::Cuda(index) => write!(f, "cuda:{index}"),
            Self::Wgpu => write!(f, "wgpu"),
        }
    }
}

impl DeviceRequest {
    /// Settles the request.
    ///
    /// # Errors
    ///
    /// [`DeviceError::CudaNotBuilt`] when CUDA is asked for in a build without the `cuda`
    /// feature; [`DeviceError::CudaUnavailable`] when it is asked for and no GPU answers;
    /// [`DeviceError::WgpuNotBuilt`] and [`DeviceError::WgpuUnavailable`] likewise for wgpu.
    pub fn resolve(self) -> Result<Resolved, DeviceError> {
        self.resolve_among(true, true)
    }

    /// [`resolve`](Self::resolve) for `J`: [`Auto`](Self::Auto) considers only the GPU backends
    /// [`dispatch`] runs `J` on ([`OnBackend::ON_CUDA`], [`OnBackend::ON_WGPU`]), and nothing is
    /// probed for the others.
    ///
    /// # Errors
    ///
    /// Those of [`resolve`](Self::resolve), and [`DeviceError::JobNotBuiltFor`] when CUDA or
    /// wgpu is asked for by name in a build that has it but `J` is not compiled for it.
    pub fn resolve_for<J: OnBackend>(self) -> Result<Resolved, DeviceError> {
        self.resolve_among(J::ON_CUDA, J::ON_WGPU)
    }

    /// [`resolve`](Self::resolve) with CUDA and wgpu each allowed or not.
    fn resolve_among(self, cuda: bool, wgpu: bool) -> Result<Resolved, DeviceError> {
        match self {
            Self::Cpu => Ok(Resolved::Cpu),
            Self::Cuda(index) => {
                if !cfg!(feature = "cuda") {
                    return Err(DeviceError::CudaNotBuilt);
                }
                if !cuda {
                    return Err(DeviceError::JobNotBuiltFor("cuda"));
                }
                if cuda_answers(index) {
                    Ok(Resolved::Cuda(index))
                } else {
                    Err(DeviceError::CudaUnavailable(index))
                }
            }
            Self::Wgpu => {
                if !cfg!(feature = "wgpu") {
                    return Err(DeviceError::WgpuNotBuilt);
                }
                if !wgpu {
                    return Err(DeviceError::JobNotBuiltFor("wgpu"));
                }
                if wgpu_answers(|_| true) {
                    Ok(Resolved::Wgpu)
                } else {
                    Err(DeviceError::WgpuUnavailable)
                }
            }
            Self::Auto => Ok(if cfg!(feature = "cuda") && cuda && cuda_answers(0) {
                Resolved::Cuda(0)
            } else if cfg!(feature = "wgpu") && wgpu && wgpu_answers(|adapter| adapter.gpu) {
                Resolved::Wgpu
            } else {
                Resolved::Cpu
            }),
        }
    }
}

/// Whether CUDA device `index` answers: the NVIDIA driver reports the GPU, and a small tensor
/// can be made and read on it.
///
/// The probe leaves the process's panic hook alone. Burn's CUDA runtime panics when it finds no
/// driver or no such GPU, so the probe asks the kernel driver first, without panicking: on
/// Linux it lists one folder per GPU under `/proc/driver/nvidia/gpus`, and with fewer than
/// `index + 1` there the answer is no and the runtime is never touched. Only a GPU the driver
/// reports is then tried with a tensor, under `catch_unwind`; should the runtime still panic
/// there (a driver that reports a GPU it cannot run), the answer is no, and the panic's message
/// goes to whatever hook the program has set (Rust's default prints it to stderr). Elsewhere
/// than Linux the tensor probe runs directly, with that same caveat. The probe runs only in
/// builds with the `cuda` feature, and only for [`DeviceRequest::Auto`] and
/// [`DeviceRequest::Cuda`].
#[cfg(feature = "cuda")]
fn cuda_answers(index: usize) -> bool {
    use burn::backend::Cuda;
    use burn::backend::cuda::CudaDevice;
    use burn::tensor::Tensor;

    if driver_reports(index) == Some(false) {
        return false;
    }
    std::panic::catch_unwind(|| {
        let device = CudaDevice::new(index);
        Tensor::<Cuda, 1>::ones([1], &device).into_scalar() == 1.0
    })
    .unwrap_or(false)
}

/// Whether the NVIDIA kernel driver reports GPU `index`: `None` where the system has no
/// `/proc/driver/nvidia` to ask (not Linux), `Some(false)` where it has no such GPU or no
/// driver at all.
#[cfg(feature = "cuda")]
fn driver_reports(index: usize) -> Option<bool> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let gpus = std::fs::read_dir("/proc/driver/nvidia/gpus")
        .map(|entries| entries.filter_map(Result::ok).count())
        .unwrap_or(0);
    Some(index < gpus)
}

#[cfg(not(feature = "cuda"))]
fn cuda_answers(_index: usize) -> bool {
    false
}

/// The adapter behind Burn's default wgpu device, as [`wgpu_adapter`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WgpuAdapter {
    /// The adapter's name, as its driver gives it (`llvmpipe (LLVM 15.0.6, 256 bits)` for
    /// Mesa's lavapipe).
    pub name: String,
    /// The graphics API it is reached through: `vulkan`, `metal`, `dx12`, `gl` or `webgpu`.
    pub api: &'static str,
    /// What it is, as its driver says: `discrete gpu`, `integrated gpu`, `virtual gpu`, `cpu`
    /// (lavapipe) or `other`.
    pub kind: &'static str,
    /// Whether it is a GPU (discrete, integrated or virtual), the only kind
    /// [`DeviceRequest::Auto`] takes.
    pub gpu: bool,
}

impl fmt::Display for WgpuAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.name, self.kind, self.api)
    }
}

/// The adapter Burn's default wgpu device runs on, or `None` when no adapter answers (no
/// driver, no device) or this build has no `wgpu` feature.
///
/// wgpu itself is asked, as Burn asks it: on the platform's graphics API, for the adapter it
/// ranks first for high performance. Nothing panics and no device is opened, so this is cheap
/// and safe to call on any machine (a test's check before it runs on wgpu, say).
/// The `CUBECL_WGPU_DEFAULT_DEVICE` variable, with which Burn can be told to take another
/// adapter, is not read here.
#[cfg(feature = "wgpu")]
pub fn wgpu_adapter() -> Option<WgpuAdapter> {
    use burn::backend::wgpu::graphics::{AutoGraphicsApi, GraphicsApi};

    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: AutoGraphicsApi::backend().into(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter =
        futures_lite::future::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
        }))
        .ok()?;
    let info = adapter.get_info();
    let (kind, gpu) = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => ("discrete gpu", true),
        wgpu::DeviceType::IntegratedGpu => ("integrated gpu", true),
        wgpu::DeviceType::VirtualGpu => ("virtual gpu", true),
        wgpu::DeviceType::Cpu => ("cpu", false),
        wgpu::DeviceType::Other => ("other", false),
    };
    Some(WgpuAdapter {
        name: info.name,
        api: info.backend.to_str(),
        kind,
        gpu,
    })
}

/// The adapter Burn's default wgpu device runs on: always `None` in this build, which has no
/// `wgpu` feature.
#[cfg(not(feature = "wgpu"))]
pub fn wgpu_adapter() -> Option<WgpuAdapter> {
    None
}

/// Whether Burn's default wgpu device answers on an adapter that `accept`s: [`wgpu_adapter`]
/// finds one, and a small tensor can be made and read on it.
///
/// As for CUDA, the process's panic hook is left alone: wgpu is asked first, without
/// panicking, and without an adapter (or with one `accept` refuses) Burn's runtime, which
/// panics when it finds none, is never touched. Only then is a tensor tried, under
/// `catch_unwind`; should the runtime still panic there (an adapter that cannot open a device
/// Burn can use), the answer is no, and the panic's message goes to whatever hook the program
/// has set.
#[cfg(feature = "wgpu")]
fn wgpu_answers(accept: impl Fn(&WgpuAdapter) -> bool) -> bool {
    use burn::backend::Wgpu;
    use burn::tensor::Tensor;

    if !wgpu_adapter().is_some_and(|adapter| accept(&adapter)) {
        return false;
    }
    std::panic::catch_unwind(|| {
        Tensor::<Wgpu, 1>::ones([1], &Default::default()).into_scalar() == 1.0
    })
    .unwrap_or(false)
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_answers(_accept: impl Fn(&WgpuAdapter) -> bool) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests() {
        assert_eq!("auto".parse(), Ok(DeviceRequest::Auto));
        assert_eq!("CPU".parse(), Ok(DeviceRequest::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceRequest::Cuda(0)));
        assert_eq!("cuda:2".parse(), Ok(DeviceRequest::Cuda(2)));
        assert_eq!("wgpu".parse(), Ok(DeviceRequest::Wgpu));
        assert_eq!(" WGPU ".parse(), Ok(DeviceRequest::Wgpu));
        for unknown in ["tpu", "wgpu:0", "vulkan", "cuda:x"] {
            assert!(
                matches!(
                    unknown.parse::<DeviceRequest>(),
                    Err(DeviceError::Unknown(_))
                ),
                "{unknown}"
            );
        }
    }

    #[test]
    fn resolved_devices_print_as_requested() {
        for text in ["cpu", "cuda:1", "wgpu"] {
            let request: DeviceRequest = text.parse().unwrap();
            let resolved = match request {
                DeviceRequest::Cpu => Resolved::Cpu,
                DeviceRequest::Cuda(index) => Resolved::Cuda(index),
                DeviceRequest::Wgpu => Resolved::Wgpu,
                DeviceRequest::Auto => unreachable!(),
            };
            assert_eq!(resolved.to_string(), text);
        }
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn wgpu_in_a_build_without_it_is_a_clear_error() {
        assert_eq!(
            DeviceRequest::Wgpu.resolve(),
            Err(DeviceError::WgpuNotBuilt)
        );
        assert_eq!(wgpu_adapter(), None);
        assert_eq!(
            dispatch(Resolved::Wgpu, CpuBackend::Flex, &BackendName::<true>),
            Err(DeviceError::WgpuNotBuilt)
        );
    }

    /// `auto` takes the CPU over a CPU adapter of wgpu (lavapipe), and over no adapter.
    #[cfg(all(feature = "wgpu", not(feature = "cuda")))]
    #[test]
    fn auto_takes_wgpu_only_on_a_gpu_adapter() {
        let expected = match wgpu_adapter() {
            Some(adapter) if adapter.gpu => Resolved::Wgpu,
            _ => Resolved::Cpu,
        };
        assert_eq!(DeviceRequest::Auto.resolve(), Ok(expected));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_in_a_build_without_it_is_a_clear_error() {
        assert_eq!(
            DeviceRequest::Cuda(0).resolve(),
            Err(DeviceError::CudaNotBuilt)
        );
        if !cfg!(feature = "wgpu") {
            assert_eq!(DeviceRequest::Auto.resolve(), Ok(Resolved::Cpu));
        }
        assert_eq!(
            dispatch(Resolved::Cuda(0), CpuBackend::Flex, &BackendName::<true>),
            Err(DeviceError::CudaNotBuilt)
        );
    }

    /// The name of the backend a job runs on; compiled for ndarray too when `NDARRAY`.
    struct BackendName<const NDARRAY: bool>;

    impl<const NDARRAY: bool> OnBackend for BackendName<NDARRAY> {
        type Output = String;
        const ON_NDARRAY: bool = NDARRAY;

        fn run<B: TrainingBackend>(&self, device: &B::Device) -> String {
            B::name(device)
        }
    }

    #[test]
    fn dispatch_runs_the_job_on_the_chosen_cpu_backend() {
        assert_eq!(
            dispatch(Resolved::Cpu, CpuBackend::Flex, &BackendName::<true>),
            Ok("autodiff<flex>".to_string())
        );
        assert_eq!(
            dispatch(Resolved::Cpu, CpuBackend::NdArray, &BackendName::<true>),
            Ok("autodiff<ndarray>".to_string())
        );
    }

    #[test]
    fn a_job_without_ndarray_says_so_and_runs_on_flex() {
        assert_eq!(
            dispatch(Resolved::Cpu, CpuBackend::NdArray, &BackendName::<false>),
            Err(DeviceError::JobNotBuiltFor("ndarray"))
        );
        assert_eq!(
            dispatch(Resolved::Cpu, CpuBackend::Flex, &BackendName::<false>),
            Ok("autodiff<flex>".to_string())
        );
    }

    /// A job compiled for the CPU backends alone.
    struct CpuOnly;

    impl OnBackend for CpuOnly {
        type Output = ();
        const ON_CUDA: bool = false;
        const ON_WGPU: bool = false;

        fn run<B: TrainingBackend>(&self, _: &B::Device) {}
    }

    #[test]
    fn a_job_without_gpu_backends_resolves_auto_to_the_cpu_and_refuses_them_by_name() {
        assert_eq!(
            DeviceRequest::Auto.resolve_for::<CpuOnly>(),
            Ok(Resolved::Cpu)
        );
        let cuda = if cfg!(feature = "cuda") {
            DeviceError::JobNotBuiltFor("cuda")
        } else {
            DeviceError::CudaNotBuilt
        };
        assert_eq!(DeviceRequest::Cuda(0).resolve_for::<CpuOnly>(), Err(cuda));
        let wgpu = if cfg!(feature = "wgpu") {
            DeviceError::JobNotBuiltFor("wgpu")
        } else {
            DeviceError::WgpuNotBuilt
        };
        assert_eq!(
            DeviceRequest::Wgpu.resolve_for::<CpuOnly>(),
            Err(wgpu.clone())
        );
        // The resolved device handed to `dispatch` directly: refused the same way.
        if cfg!(feature = "wgpu") {
            assert_eq!(
                dispatch(Resolved::Wgpu, CpuBackend::Flex, &CpuOnly),
                Err(wgpu)
            );
        }
    }

    #[test]
    fn parses_cpu_backends() {
        assert_eq!("flex".parse(), Ok(CpuBackend::Flex));
        assert_eq!("NdArray".parse(), Ok(CpuBackend::NdArray));
        assert!(matches!(
            "candle".parse::<CpuBackend>(),
            Err(DeviceError::UnknownCpuBackend(_))
        ));
    }
}
