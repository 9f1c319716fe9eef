//! Scores from the target predictions alone: prediction entropy and information
//! maximisation.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use crate::error::ValidateError;
use crate::host::{check_matrix, values};

/// The entropy `H(p_i) = -sum_k p_ik ln p_ik` (nats) of the softmax of each row of `logits`.
///
/// # Shapes
///
/// - `logits`: `[N, K]`
/// - output: `N` values, each in `[0, ln K]`
///
/// # Errors
///
/// [`ValidateError::Empty`] for no row or column, [`ValidateError::NonFinite`] for a NaN or
/// infinite logit.
pub fn prediction_entropies<B: Backend>(logits: &Tensor<B, 2>) -> Result<Vec<f64>, ValidateError> {
    check_matrix(logits, "logits")?;
    Ok(entropies(logits))
}

/// The entropy score: the negative mean prediction entropy over the target,
///
/// `S_ent = -(1/N) sum_i H(p_i)`, `H(p) = -sum_k p_k ln p_k`, `p_i = softmax(z_i)`,
///
/// the criterion behind entropy minimisation (Grandvalet and Bengio, 2005) and used for model
/// selection by Morerio et al. (ICLR 2018). Higher (more confident) is better; at most 0,
/// at least `-ln K`. It cannot tell a confident wrong model from a confident right one.
///
/// # Shapes
///
/// - `target_logits`: `[N, K]`
///
/// # Errors
///
/// As [`prediction_entropies`].
pub fn entropy_score<B: Backend>(target_logits: &Tensor<B, 2>) -> Result<f64, ValidateError> {
    let entropies = prediction_entropies(target_logits)?;
    Ok(-mean(&entropies))
}

/// The information-maximisation score (Krause, Perona and Gomes, NIPS 2010; as a validator
/// in pytorch-adapt): the mutual information between inputs and predicted classes,
///
/// `S_IM = H((1/N) sum_i p_i) - (1/N) sum_i H(p_i)`,
///
/// the entropy of the mean prediction (high when the classes are used evenly) minus the mean
/// entropy (low when each prediction is confident). Higher is better; it lies in
/// `[0, ln K]`: 0 for a model that predicts the same distribution everywhere (a collapsed
/// one included), `ln K` for confident predictions spread evenly over the `K` classes.
///
/// # Shapes
///
/// - `target_logits`: `[N, K]`
///
/// # Errors
///
/// As [`prediction_entropies`].
pub fn information_maximization<B: Backend>(
    target_logits: &Tensor<B, 2>,
) -> Result<f64, ValidateError> {
    let (_, classes) = check_matrix(target_logits, "target logits")?;
    let probabilities = values(&log_softmax(target_logits.clone(), 1).exp().mean_dim(0));
    debug_assert_eq!(probabilities.len(), classes);
    let marginal = -probabilities
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| p * p.ln())
        .sum::<f64>();
    Ok(marginal - mean(&entropies(target_logits)))
}

/// Row entropies of the softmax of checked logits, computed from the log-softmax so that
/// saturated rows give 0, not NaN.
pub(crate) fn entropies<B: Backend>(logits: &Tensor<B, 2>) -> Vec<f64> {
    let log_p = log_softmax(logits.clone(), 1);
    let p = log_p.clone().exp();
    values(&(p * log_p).sum_dim(1).neg())
        .into_iter()
        .map(|h| h.max(0.0))
        .collect()
}

/// The mean of a non-empty slice.
pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}
