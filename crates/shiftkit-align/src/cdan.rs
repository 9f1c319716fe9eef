//! CDAN's building blocks (Long et al., NeurIPS 2018): the multilinear conditioning of the
//! features on the classifier's predictions, and CDAN+E's entropy weights for the
//! discriminator's loss.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use shiftkit_grl::{GradientReversalBackend, GrlError, reverse_gradient};

use crate::bce::binary_cross_entropy_with_logits;

/// CDAN's loss on the discriminator's logits: the mean binary cross-entropy against the
/// domain labels, or, given the predictions (CDAN+E), its entropy-weighted mean
/// `sum_i w_i BCE_i / sum_i w_i` with the weights of [`entropy_weights`] (which sum to 2).
///
/// # Shapes
///
/// - domain_logits, labels: `[N]` (the first `n_s` rows are the source)
/// - entropy_predictions: `[N, K]` probabilities
/// - output: `[1]`
pub fn conditional_domain_loss<B: Backend>(
    domain_logits: Tensor<B, 1>,
    labels: Tensor<B, 1>,
    entropy_predictions: Option<Tensor<B, 2>>,
    n_s: usize,
) -> Tensor<B, 1> {
    match entropy_predictions {
        Some(predictions) => {
            weighted_domain_loss(domain_logits, labels, entropy_weights(predictions, n_s))
        }
        None => binary_cross_entropy_with_logits(domain_logits, labels).mean(),
    }
}

/// `sum_i w_i BCE_i / 2`: the binary cross-entropy of the discriminator's logits weighted by
/// per-domain weights that sum to 1 in each domain ([`entropy_weights`],
/// [`reversed_entropy_weights`]).
///
/// # Shapes
///
/// - domain_logits, labels, weights: `[N]`
/// - output: `[1]`
pub fn weighted_domain_loss<B: Backend>(
    domain_logits: Tensor<B, 1>,
    labels: Tensor<B, 1>,
    weights: Tensor<B, 1>,
) -> Tensor<B, 1> {
    (binary_cross_entropy_with_logits(domain_logits, labels) * weights)
        .sum()
        .div_scalar(2.0)
}

/// The multilinear map `vec(g ⊗ f)` of each row: `[N, d]` features and `[N, K]` predictions
/// give `[N, K d]`, row `i` being `(g_i1 f_i, ..., g_iK f_i)`.
///
/// # Shapes
///
/// - features: `[N, d]`, predictions: `[N, K]`
/// - output: `[N, K d]`
pub fn multilinear_map<B: Backend>(
    features: Tensor<B, 2>,
    predictions: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [n, d] = features.dims();
    let [_, k] = predictions.dims();
    let outer = predictions.reshape([n, k, 1]) * features.reshape([n, 1, d]);
    outer.reshape([n, k * d])
}

/// CDAN+E's example weights: `e_i = 1 + exp(-H(g_i))`, normalised within each domain (the
/// first `n_s` rows are the source), so each domain's weights sum to 1. Detached.
///
/// # Shapes
///
/// - predictions: `[N, K]` probabilities (rows sum to 1)
/// - output: `[N]`
pub fn entropy_weights<B: Backend>(predictions: Tensor<B, 2>, n_s: usize) -> Tensor<B, 1> {
    per_domain(certainty(entropy(predictions.detach())), n_s)
}

/// CDAN+E's example weights as the paper's code computes them: those of [`entropy_weights`],
/// but the entropy passes its gradient back to `predictions` reversed and scaled by `alpha`;
/// the per-domain sums are constants.
///
/// # Errors
///
/// [`GrlError`] for a negative or non-finite `alpha`.
///
/// # Shapes
///
/// - predictions: `[N, K]` probabilities (rows sum to 1)
/// - output: `[N]`
pub fn reversed_entropy_weights<B: GradientReversalBackend>(
    predictions: Tensor<B, 2>,
    n_s: usize,
    alpha: f64,
) -> Result<Tensor<B, 1>, GrlError> {
    let entropy = reverse_gradient(entropy(predictions), alpha)?;
    Ok(per_domain(certainty(entropy), n_s))
}

/// `H(g_i) = -sum_k g_ik log g_ik` of each row, `[N, K]` to `[N]`.
fn entropy<B: Backend>(p: Tensor<B, 2>) -> Tensor<B, 1> {
    let [n, _] = p.dims();
    // 0 log 0 = 0: the clamp only keeps the log finite where p is 0.
    (p.clone() * p.clamp_min(1e-12).log())
        .sum_dim(1)
        .neg()
        .reshape([n])
}

/// `1 + exp(-H)`.
fn certainty<B: Backend>(entropy: Tensor<B, 1>) -> Tensor<B, 1> {
    entropy.neg().exp().add_scalar(1.0)
}

/// Each domain's values divided by that domain's sum (the sums held constant).
fn per_domain<B: Backend>(values: Tensor<B, 1>, n_s: usize) -> Tensor<B, 1> {
    let [n] = values.dims();
    let source = values.clone().slice(0..n_s);
    let target = values.slice(n_s..n);
    let source = source.clone().div(source.sum().detach());
    let target = target.clone().div(target.sum().detach());
    Tensor::cat(vec![source, target], 0)
}
