//! The lowering's ops on `Autodiff<B>`: each records a backward step that calls its adjoint on
//! the inner backend.

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::tensor::TensorMetadata;
use burn::tensor::ops::FloatTensor;

use super::backend::{BatchNormPoolState, LoweringBackend};

/// Backward of im2col: col2im of the gradient. State: the input's dimensions.
#[derive(Debug)]
struct Im2colBackward;

impl<B: LoweringBackend> Backward<B, 1> for Im2colBackward {
    type State = [usize; 4];

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [parent] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        if let Some(parent) = parent {
            grads.register::<B>(parent.id, B::col2im_3x3(grad, ops.state));
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
    fn im2col_3x3(input: FloatTensor<Self>) -> FloatTensor<Self> {
        let dims = dims4(&input.primitive);
        match Im2colBackward
            .prepare::<C>([input.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(dims, B::im2col_3x3(input.primitive)),
            OpsKind::UnTracked(prep) => prep.finish(B::im2col_3x3(input.primitive)),
        }
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

fn dims4<T: TensorMetadata>(tensor: &T) -> [usize; 4] {
    let shape = tensor.shape();
    [shape[0], shape[1], shape[2], shape[3]]
}
