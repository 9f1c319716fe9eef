//! Backend aliases for training and evaluation.
//!
//! Training runs on an autodiff backend; evaluation on its inner backend.
//!
//! The default CPU backend, [`Cpu`], is flex, chosen by measurement (see `docs/performance.md`):
//! it runs the reference steps and a whole two-moons run faster than ndarray, and runs are
//! bit-for-bit reproducible for a seed, which they are not on ndarray (its parallel reductions
//! change the last bits from run to run). ndarray stays available as [`NdArray`].

/// The default CPU training backend: autodiff over flex, f32.
#[cfg(feature = "flex")]
pub type Cpu = burn::backend::Autodiff<burn::backend::Flex<f32>>;
/// The evaluation (inner) backend of [`Cpu`].
#[cfg(feature = "flex")]
pub type CpuInner = burn::backend::Flex<f32>;

/// The ndarray CPU training backend (SIMD, multi-threaded): autodiff over ndarray, f32.
#[cfg(feature = "ndarray")]
pub type NdArray = burn::backend::Autodiff<burn::backend::NdArray<f32>>;
/// The evaluation (inner) backend of [`NdArray`].
#[cfg(feature = "ndarray")]
pub type NdArrayInner = burn::backend::NdArray<f32>;

/// The CUDA training backend: autodiff over CUDA, f32.
#[cfg(feature = "cuda")]
pub type Cuda = burn::backend::Autodiff<burn::backend::Cuda<f32>>;
/// The evaluation (inner) backend of [`Cuda`].
#[cfg(feature = "cuda")]
pub type CudaInner = burn::backend::Cuda<f32>;

/// The wgpu training backend (Vulkan, Metal, DirectX 12: any GPU, and CPU adapters such as
/// Mesa's lavapipe): autodiff over wgpu, f32.
#[cfg(feature = "wgpu")]
pub type Wgpu = burn::backend::Autodiff<burn::backend::Wgpu<f32>>;
/// The evaluation (inner) backend of [`Wgpu`].
#[cfg(feature = "wgpu")]
pub type WgpuInner = burn::backend::Wgpu<f32>;

use burn::tensor::backend::AutodiffBackend;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::kernels::LoweringBackend;

/// Everything a backend needs to train every shiftkit model: autodiff, the gradient reversal,
/// and the lowered CNN kernels in training and in evaluation.
///
/// Implemented for every backend that has the parts, `Cpu`, `NdArray`, `Cuda` and `Wgpu`
/// among them; generic code asks for `B: TrainingBackend` instead of listing the parts.
pub trait TrainingBackend:
    AutodiffBackend<InnerBackend: LoweringBackend> + GradientReversalBackend + LoweringBackend
{
}

impl<B> TrainingBackend for B where
    B: AutodiffBackend<InnerBackend: LoweringBackend> + GradientReversalBackend + LoweringBackend
{
}
