//! Choosing where training runs: `auto`, `cpu`, or `cuda[:N]`, and running a job there.
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
    /// CUDA when this build has the `cuda` feature and a GPU answers, else the CPU.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// The CUDA GPU with this index.
    Cuda(usize),
}

/// Where training will run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The CPU.
    Cpu,
    /// The CUDA GPU with this index (only in builds with the `cuda` feature).
    Cuda(usize),
}

/// Why a device request cannot be met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The text is not `auto`, `cpu`, `cuda` or `cuda:N`.
    #[error("unknown device `{0}`: expected auto, cpu, cuda or cuda:N")]
    Unknown(String),
    /// CUDA was asked for, but this build has no CUDA backend.
    #[error("CUDA was requested but shiftkit was built without the `cuda` feature")]
    CudaNotBuilt,
    /// CUDA was asked for, but no GPU answered.
    #[error("CUDA device {0} did not answer")]
    CudaUnavailable(usize),
    /// The CPU backend asked for is not in this build.
    #[error("this build has no {0} backend: enable the `{0}` feature of the shiftkit crate")]
    CpuBackendNotBuilt(CpuBackend),
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

    /// Runs the job on backend `B`, with tensors on `device`.
    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output;
}

/// Runs `job` on the backend for `device`: on [`Resolved::Cpu`] the `cpu` backend
/// ([`backend::Cpu`](crate::backend::Cpu) or [`backend::NdArray`](crate::backend::NdArray)),
/// on [`Resolved::Cuda`] `backend::Cuda` (the `cuda` feature) on that GPU.
///
/// # Errors
///
/// [`DeviceError::CpuBackendNotBuilt`] when `cpu` names a backend whose feature this build
/// lacks; [`DeviceError::CudaNotBuilt`] for a CUDA device in a build without the `cuda`
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
        #[cfg(feature = "ndarray")]
        (Resolved::Cpu, CpuBackend::NdArray) => {
            Ok(job.run::<crate::backend::NdArray>(&Default::default()))
        }
        #[cfg(feature = "cuda")]
        (Resolved::Cuda(index), _) => {
            Ok(job.run::<crate::backend::Cuda>(&burn::backend::cuda::CudaDevice::new(index)))
        }
        // Reached only in builds without one of the backend features.
        #[allow(unreachable_patterns)]
        (Resolved::Cpu, cpu) => Err(DeviceError::CpuBackendNotBuilt(cpu)),
        #[allow(unreachable_patterns)]
        (Resolved::Cuda(_), _) => Err(DeviceError::CudaNotBuilt),
    }
}

impl FromStr for DeviceRequest {
    type Err = DeviceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda(0)),
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
        }
    }
}

impl DeviceRequest {
    /// Settles the request.
    ///
    /// # Errors
    ///
    /// [`DeviceError::CudaNotBuilt`] when CUDA is asked for in a build without the `cuda`
    /// feature; [`DeviceError::CudaUnavailable`] when it is asked for and no GPU answers.
    pub fn resolve(self) -> Result<Resolved, DeviceError> {
        match self {
            Self::Cpu => Ok(Resolved::Cpu),
            Self::Cuda(index) => {
                if !cfg!(feature = "cuda") {
                    return Err(DeviceError::CudaNotBuilt);
                }
                if cuda_answers(index) {
                    Ok(Resolved::Cuda(index))
                } else {
                    Err(DeviceError::CudaUnavailable(index))
                }
            }
            Self::Auto => Ok(if cfg!(feature = "cuda") && cuda_answers(0) {
                Resolved::Cuda(0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests() {
        assert_eq!("auto".parse(), Ok(DeviceRequest::Auto));
        assert_eq!("CPU".parse(), Ok(DeviceRequest::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceRequest::Cuda(0)));
        assert_eq!("cuda:2".parse(), Ok(DeviceRequest::Cuda(2)));
        assert!(matches!(
            "tpu".parse::<DeviceRequest>(),
            Err(DeviceError::Unknown(_))
        ));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_in_a_build_without_it_is_a_clear_error() {
        assert_eq!(
            DeviceRequest::Cuda(0).resolve(),
            Err(DeviceError::CudaNotBuilt)
        );
        assert_eq!(DeviceRequest::Auto.resolve(), Ok(Resolved::Cpu));
        assert_eq!(
            dispatch(Resolved::Cuda(0), CpuBackend::Flex, &BackendName),
            Err(DeviceError::CudaNotBuilt)
        );
    }

    /// The name of the backend a job runs on.
    struct BackendName;

    impl OnBackend for BackendName {
        type Output = String;

        fn run<B: TrainingBackend>(&self, device: &B::Device) -> String {
            B::name(device)
        }
    }

    #[test]
    fn dispatch_runs_the_job_on_the_chosen_cpu_backend() {
        assert_eq!(
            dispatch(Resolved::Cpu, CpuBackend::Flex, &BackendName),
            Ok("autodiff<flex>".to_string())
        );
        assert_eq!(
            dispatch(Resolved::Cpu, CpuBackend::NdArray, &BackendName),
            Ok("autodiff<ndarray>".to_string())
        );
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
