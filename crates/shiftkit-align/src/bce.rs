//! The binary cross-entropy the adversarial losses share.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

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
