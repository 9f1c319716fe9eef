//! The split backward pass: the source's and the target's encoder graphs differentiated on two
//! threads.
//!
//! Burn differentiates one graph on one thread. A DANN step's graph is mostly two independent
//! encoder passes (source and target) joined only by the losses, so the step cuts it there:
//!
//! 1. the target is encoded by a fork of the encoder (the same parameters as fresh autodiff
//!    leaves, the same running statistics), so each pass records a graph of its own;
//! 2. the losses are computed on detached copies of the features (new leaves), and their
//!    backward pass gives the gradients of the heads (classifier, discriminator) and of the
//!    features themselves;
//! 3. each encoder graph is differentiated with its features' gradient, `sum(z * dL/dz)`, the
//!    target's on a second thread;
//! 4. the three sets of parameter gradients are summed, parameter by parameter.
//!
//! The result is the single backward pass's gradient up to the order of floating-point sums
//! (tested).

use burn::module::AutodiffModule;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;

/// The two encoder graphs of a step, cut from the losses.
pub struct SplitGraphs<B: AutodiffBackend, E> {
    /// The fork that encoded the target.
    fork: E,
    /// The source features as the encoder produced them, and the leaf the losses used.
    source: (Tensor<B, 2>, Tensor<B, 2>),
    /// The same for the target.
    target: (Tensor<B, 2>, Tensor<B, 2>),
}

impl<B: AutodiffBackend, E: AutodiffModule<B>> SplitGraphs<B, E> {
    /// Cuts the features `z_s` (from the encoder) and `z_t` (from `fork`) from their graphs:
    /// returns the cut and the two leaves for the losses.
    pub fn cut(
        fork: E,
        z_s: Tensor<B, 2>,
        z_t: Tensor<B, 2>,
    ) -> (Self, Tensor<B, 2>, Tensor<B, 2>) {
        let leaf_s = z_s.clone().detach().require_grad();
        let leaf_t = z_t.clone().detach().require_grad();
        let cut = Self {
            fork,
            source: (z_s, leaf_s.clone()),
            target: (z_t, leaf_t.clone()),
        };
        (cut, leaf_s, leaf_t)
    }

    /// Every parameter's gradient: the losses' own (`grads`, from their backward pass) plus
    /// the two encoder graphs', differentiated on two threads. `model` holds the encoder that
    /// encoded the source, and is visited to collect the gradients.
    pub fn gradients<M: AutodiffModule<B>>(
        self,
        grads: B::Gradients,
        model: &M,
    ) -> GradientsParams {
        let (graph_s, leaf_s) = self.source;
        let (graph_t, leaf_t) = self.target;
        let grad_s = leaf_s.grad(&grads);
        let grad_t = leaf_t.grad(&grads);
        let heads = GradientsParams::from_grads(grads, model);
        let (grads_s, grads_t) = shiftkit_nn::kernels::join(
            || grad_s.map(|grad| through(graph_s, grad)),
            move || grad_t.map(|grad| through(graph_t, grad)),
        );
        let encoder_s = grads_s.map(|grads| GradientsParams::from_grads(grads, model));
        let encoder_t = grads_t.map(|grads| GradientsParams::from_grads(grads, &self.fork));
        let mut sum = GradientsAccumulator::<M>::new();
        sum.accumulate(model, heads);
        for grads in [encoder_s, encoder_t].into_iter().flatten() {
            sum.accumulate(model, grads);
        }
        sum.grads()
    }
}

/// The gradients of a graph ending in `features`, given the features' gradient:
/// the backward pass of `sum(features * grad)`.
fn through<B: AutodiffBackend>(
    features: Tensor<B, 2>,
    grad: Tensor<B::InnerBackend, 2>,
) -> B::Gradients {
    features.mul(Tensor::from_inner(grad)).sum().backward()
}
