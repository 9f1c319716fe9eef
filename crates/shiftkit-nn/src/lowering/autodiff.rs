//! The lowering's ops on `Autodiff<B>`: each records a backward step that calls its adjoint on
//! the inner backend.

use burn::backend::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::tensor::ops::FloatTensor;

use super::backend::{BatchNormPoolState, ConvState, LoweringBackend};

/// The adjoint of a lowered op with three parents, run on the inner backend by the op's
/// backward step: the gradients of the parents, in order, from the gradient of the output, the
/// state the forward op saved, and which parents are tracked; `None` for one not computed.
type Adjoint<B, S> = fn(FloatTensor<B>, &S, [bool; 3]) -> [Option<FloatTensor<B>>; 3];

/// The backward step of a lowered op: its adjoint's gradient for each tracked parent.
#[derive(Debug)]
struct LoweredBackward<B: LoweringBackend, S> {
    adjoint: Adjoint<B, S>,
}

impl<B: LoweringBackend, S> Backward<B, 3> for LoweredBackward<B, S>
where
    S: Clone + Send + std::fmt::Debug + 'static,
{
    type State = S;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<B>(&ops.node);
        let tracked = ops.parents.each_ref().map(Option::is_some);
        let computed = (self.adjoint)(grad, &ops.state, tracked);
        for (parent, grad) in ops.parents.into_iter().zip(computed) {
            if let (Some(parent), Some(grad)) = (parent, grad) {
                grads.register::<B>(parent.id, grad);
            }
        }
    }
}

/// Runs `forward` on the inner backend's tensors of `inputs` and records it, with `adjoint` as
/// its backward and the state it returns kept for that backward when a parent is tracked. The
/// output and the state.
fn lowered<B, C, S>(
    adjoint: Adjoint<B, S>,
    inputs: [FloatTensor<Autodiff<B, C>>; 3],
    forward: impl FnOnce([FloatTensor<B>; 3]) -> (FloatTensor<B>, S),
) -> (FloatTensor<Autodiff<B, C>>, S)
where
    B: LoweringBackend,
    C: CheckpointStrategy,
    S: Clone + Send + std::fmt::Debug + 'static,
{
    let parents = inputs.each_ref().map(|input| input.node.clone());
    let (out, state) = forward(inputs.map(|input| input.primitive));
    let backward = LoweredBackward { adjoint };
    let out = match backward.prepare::<C>(parents).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(state.clone(), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    };
    (out, state)
}

/// The differentiable forward ops. The adjoints keep their host defaults: they run on
/// `Autodiff<B>` only if someone differentiates a backward, which nothing here does.
impl<B: LoweringBackend, C: CheckpointStrategy> LoweringBackend for Autodiff<B, C> {
    /// Recorded with `x` and the weight as its state (the inner backend's handles to them),
    /// whose backward computes the gradients of the tracked parents alone, as Burn's `linear`.
    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        lowered::<B, C, (FloatTensor<B>, FloatTensor<B>)>(
            |grad, (x, weight), tracked| {
                B::dense_backward(grad, x.clone(), weight.clone(), tracked)
            },
            [x, weight, bias],
            |[x, weight, bias]| (B::dense(x.clone(), weight.clone(), bias), (x, weight)),
        )
        .0
    }

    fn conv_3x3(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, ConvState) {
        lowered::<B, C, _>(
            // The input's gradient only when it is tracked.
            |grad, state, [input_tracked, ..]| {
                let (input, weight, bias) = B::conv_3x3_backward(grad, state, input_tracked);
                [input, Some(weight), Some(bias)]
            },
            [input, weight, bias],
            |[input, weight, bias]| B::conv_3x3(input, weight, bias),
        )
    }

    fn batch_norm_relu_max_pool_2x2(
        input: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        image_major: bool,
    ) -> (FloatTensor<Self>, BatchNormPoolState) {
        lowered::<B, C, _>(
            |grad, state, _| B::batch_norm_relu_max_pool_2x2_backward(grad, state).map(Some),
            [input, gamma, beta],
            |[input, gamma, beta]| {
                B::batch_norm_relu_max_pool_2x2(input, gamma, beta, epsilon, image_major)
            },
        )
    }
}
