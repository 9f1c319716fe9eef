//! Choosing where training runs: `auto`, `cpu`, or `cuda[:N]`.
//!
//! The backend is a type in Burn, so the choice is made once, at the top of a program, and the
//! generic training code is then called with the matching backend (see the `digits` example).

use std::fmt;
use std::str::FromStr;

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

/// Whether a small tensor can be made and read on CUDA device `index`.
#[cfg(feature = "cuda")]
fn cuda_answers(index: usize) -> bool {
    use burn::backend::Cuda;
    use burn::backend::cuda::CudaDevice;
    use burn::tensor::Tensor;
    // The CUDA runtime panics when no driver or GPU is present; keep that quiet and answer no.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let answered = std::panic::catch_unwind(|| {
        let device = CudaDevice::new(index);
        Tensor::<Cuda, 1>::ones([1], &device).into_scalar() == 1.0
    })
    .unwrap_or(false);
    std::panic::set_hook(hook);
    answered
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
    }
}
