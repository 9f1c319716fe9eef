//! Backend aliases for training and evaluation.
//!
//! Training runs on an autodiff backend; evaluation on its inner backend. The default CPU
//! backend is ndarray (SIMD and multi-threaded); flex is the other CPU choice.

/// The default CPU training backend: autodiff over ndarray, f32.
#[cfg(feature = "ndarray")]
pub type Cpu = burn::backend::Autodiff<burn::backend::NdArray<f32>>;
/// The evaluation (inner) backend of [`Cpu`].
#[cfg(feature = "ndarray")]
pub type CpuInner = burn::backend::NdArray<f32>;

/// The flex CPU training backend: autodiff over flex, f32.
#[cfg(feature = "flex")]
pub type Flex = burn::backend::Autodiff<burn::backend::Flex<f32>>;
/// The evaluation (inner) backend of [`Flex`].
#[cfg(feature = "flex")]
pub type FlexInner = burn::backend::Flex<f32>;

/// The CUDA training backend: autodiff over CUDA, f32.
#[cfg(feature = "cuda")]
pub type Cuda = burn::backend::Autodiff<burn::backend::Cuda<f32>>;
/// The evaluation (inner) backend of [`Cuda`].
#[cfg(feature = "cuda")]
pub type CudaInner = burn::backend::Cuda<f32>;
