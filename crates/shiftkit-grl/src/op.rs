use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorPrimitive};

use crate::GradientReversalBackend;
use crate::error::{GrlError, check_alpha};

/// Reverses the gradient flowing through `x`: the identity forward, `grad * -alpha` backward.
///
/// ```text
/// forward:   y = x                       (the same tensor, not a copy)
/// backward:  dL/dx = -alpha * dL/dy
/// ```
///
/// # Shapes
///
/// Any rank and shape; the output has the input's shape.
///
/// # Errors
///
/// [`GrlError::NonFiniteAlpha`] when `alpha` is NaN or infinite.
///
/// # Example
///
/// ```
/// use burn::backend::{Autodiff, NdArray};
/// use burn::tensor::Tensor;
/// use shiftkit_grl::reverse_gradient;
///
/// type B = Autodiff<NdArray>;
/// let device = Default::default();
/// let x = Tensor::<B, 1>::from_floats([1.0, 2.0], &device).require_grad();
/// let y = reverse_gradient(x.clone(), 0.5).unwrap();
/// let grads = y.sum().backward();
/// let dx = x.grad(&grads).unwrap().into_data().to_vec::<f32>().unwrap();
/// assert_eq!(dx, vec![-0.5, -0.5]);
/// ```
pub fn reverse_gradient<B: GradientReversalBackend, const D: usize>(
    x: Tensor<B, D>,
    alpha: f64,
) -> Result<Tensor<B, D>, GrlError> {
    let alpha = check_alpha(alpha)?;
    Ok(reverse_unchecked(x, alpha))
}

/// The op without the check, for callers that hold an already validated alpha.
pub(crate) fn reverse_unchecked<B: GradientReversalBackend, const D: usize>(
    x: Tensor<B, D>,
    alpha: f64,
) -> Tensor<B, D> {
    let primitive = x.into_primitive().tensor();
    Tensor::from_primitive(TensorPrimitive::Float(B::float_reverse_gradient(
        primitive, alpha,
    )))
}

/// The backward step of the reversal; its state is `alpha`.
#[derive(Debug)]
struct ReverseGradientBackward;

impl<B: Backend> Backward<B, 1> for ReverseGradientBackward {
    type State = f64;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [parent] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        if let Some(parent) = parent {
            // d(identity)/dx = 1, reversed and scaled: one pass over the gradient.
            grads.register::<B>(parent.id, B::float_mul_scalar(grad, (-ops.state).into()));
        }
    }
}

impl<B: Backend, C: CheckpointStrategy> GradientReversalBackend for Autodiff<B, C> {
    fn float_reverse_gradient(tensor: FloatTensor<Self>, alpha: f64) -> FloatTensor<Self> {
        // The op is free to recompute (it does nothing), so it never forces a checkpoint.
        match ReverseGradientBackward
            .prepare::<C>([tensor.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(alpha, tensor.primitive),
            OpsKind::UnTracked(prep) => prep.finish(tensor.primitive),
        }
    }
}
