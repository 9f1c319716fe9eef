use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;

/// A backend that can reverse gradients.
///
/// On [`Autodiff`](burn::backend::Autodiff) the op records a backward step that multiplies the
/// incoming gradient by `-alpha`; on a backend without autodiff it is the identity. Implemented
/// for `Autodiff<B>` over every backend `B`, and for the plain backends enabled by this crate's
/// features (`ndarray`, `flex`, `cuda`, `wgpu`). A backend of your own opts in with an identity
/// impl:
///
/// ```ignore
/// impl GradientReversalBackend for MyBackend {
///     fn float_reverse_gradient(tensor: FloatTensor<Self>, _alpha: f64) -> FloatTensor<Self> {
///         tensor
///     }
/// }
/// ```
pub trait GradientReversalBackend: Backend {
    /// Returns `tensor` unchanged; in the backward pass, its gradient is the incoming gradient
    /// times `-alpha`.
    ///
    /// `alpha` is not checked here: callers go through [`reverse_gradient`](crate::reverse_gradient)
    /// or [`GradientReversalLayer`](crate::GradientReversalLayer), which reject non-finite values.
    fn float_reverse_gradient(tensor: FloatTensor<Self>, alpha: f64) -> FloatTensor<Self>;
}

/// The identity: what reversal means where nothing is differentiated.
#[allow(unused_macros)] // used only under the backend features
macro_rules! identity_reversal {
    () => {
        fn float_reverse_gradient(tensor: FloatTensor<Self>, _alpha: f64) -> FloatTensor<Self> {
            tensor
        }
    };
}

#[cfg(feature = "ndarray")]
impl<E, I, Q> GradientReversalBackend for burn::backend::NdArray<E, I, Q>
where
    burn::backend::ndarray::NdArrayTensor:
        From<burn::backend::ndarray::SharedArray<E>> + From<burn::backend::ndarray::SharedArray<I>>,
    Self: Backend,
{
    identity_reversal!();
}

#[cfg(feature = "flex")]
impl<E, I> GradientReversalBackend for burn::backend::Flex<E, I>
where
    Self: Backend,
{
    identity_reversal!();
}

/// CUDA with f32 floats, the element type shiftkit trains in.
#[cfg(feature = "cuda")]
impl GradientReversalBackend for burn::backend::Cuda<f32, i32> {
    identity_reversal!();
}

/// wgpu with f32 floats, the element type shiftkit trains in.
#[cfg(feature = "wgpu")]
impl GradientReversalBackend for burn::backend::Wgpu<f32, i32> {
    identity_reversal!();
}
