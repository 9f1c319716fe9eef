//! The lowering's ops on `Autodiff<B>`: each records a backward step that calls its adjoint on
//! the inner backend.

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::tensor::ops::FloatTensor;

use super::backend::{BatchNormPoolState, ConvState, LoweringBackend};

/// Backward of the 3x3 convolution: gradients of the input (when tracked), weight and bias.
#[derive(Debug)]
struct ConvBackward;

impl<B: LoweringBackend> Backward<B, 3> for ConvBackward {
    type State = ConvState;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<B>(&ops.node);
        let [input, weight, bias] = ops.parents;
        let (input_grad, weight_grad, bias_grad) =
            B::conv_3x3_backward(grad, &ops.state, input.is_some());
        if let (Some(input), Some(g)) = (input, input_grad) {
            grads.register::<B>(input.id, g);
        }
        if let Some(weight) = weight {
            grads.register::<B>(weight.id, weight_grad);
        }
        if let Some(bias) = bias {
            grads.register::<B>(bias.id, bias_grad);
        }
    }
}

/// Backward of batch norm + ReLU + max pooling: gradients of the input, gamma and beta.
#[derive(Debug)]
struct BatchNormPoolBackward;

impl<B: LoweringBackend> Backward<B, 3> for BatchNormPoolBackward {
    type State = BatchNormPoolState;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<B>(&ops.node);
        let computed = B::batch_norm_relu_max_pool_2x2_backward(grad, &ops.state);
        for (parent, grad) in ops.parents.into_iter().zip(computed) {
            if let Some(parent) = parent {
                grads.register::<B>(parent.id, grad);
            }
        }
    }
}

/// The differentiable forward ops. The adjoints keep their host defaults: they run on
/// `Autodiff<B>` only if someone differentiates a backward, which nothing here does.
impl<B: LoweringBackend, C: CheckpointStrategy> LoweringBackend for Autodiff<B, C> {
    fn conv_3x3(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, ConvState) {
        let parents = [input.node.clone(), weight.node.clone(), bias.node.clone()];
        let (out, state) = B::conv_3x3(input.primitive, weight.primitive, bias.primitive);
        let out = match ConvBackward
            .prepare::<C>(parents)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state.clone(), out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        };
        (out, state)
    }

    fn batch_norm_relu_max_pool_2x2(
        input: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        image_major: bool,
    ) -> (FloatTensor<Self>, BatchNormPoolState) {
        let parents = [input.node.clone(), gamma.node.clone(), beta.node.clone()];
        let (out, state) = B::batch_norm_relu_max_pool_2x2(
            input.primitive,
            gamma.primitive,
            beta.primitive,
            epsilon,
            image_major,
        );
        let out = match BatchNormPoolBackward
            .prepare::<C>(parents)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state.clone(), out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        };
        (out, state)
    }
}
