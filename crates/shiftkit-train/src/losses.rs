//! The loss functions the step and the terms share.

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// Mean cross-entropy of `logits` against class indices.
///
/// # Shapes
///
/// - logits: `[N, K]`, labels: `[N]`
/// - output: `[1]`
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let [n, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg()
}

/// Per-example binary cross-entropy on logits, in the stable form
/// `max(x, 0) - x t + log(1 + exp(-|x|))`.
///
/// # Shapes
///
/// - logits, targets: `[N]`
/// - output: `[N]`
pub fn binary_cross_entropy_with_logits<B: Backend>(
    logits: Tensor<B, 1>,
    targets: Tensor<B, 1>,
) -> Tensor<B, 1> {
    let softplus = logits.clone().abs().neg().exp().log1p();
    logits.clone().clamp_min(0.0) - logits * targets + softplus
}
