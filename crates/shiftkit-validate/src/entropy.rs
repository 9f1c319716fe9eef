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
    check_matrix(target_logits, "target logits")?;
    Ok(marginal_entropy(target_logits) - mean(&entropies(target_logits)))
}

/// The effective number of classes the predictions use: `exp(H((1/N) sum_i p_i))`, the
/// perplexity of the mean prediction. It is `K` when the classes are predicted evenly and 1
/// when one class takes every prediction; between, it counts the classes that carry the
/// predictions (two classes shared evenly give 2).
///
/// Read on a model trained on the source alone, it says whether the source's classes carry
/// over to the target at all: a target on which such a model spreads its predictions over a
/// few classes only is one where its features do not separate the target's classes, and where
/// scores computed from target predictions (entropy, information maximisation, SND) have
/// little to rank.
///
/// # Shapes
///
/// - `logits`: `[N, K]`
/// - output: in `[1, K]`
///
/// # Errors
///
/// As [`prediction_entropies`].
pub fn effective_classes<B: Backend>(logits: &Tensor<B, 2>) -> Result<f64, ValidateError> {
    check_matrix(logits, "logits")?;
    Ok(marginal_entropy(logits).exp())
}

/// The entropy of the mean softmax of checked logits.
fn marginal_entropy<B: Backend>(logits: &Tensor<B, 2>) -> f64 {
    let probabilities = values(&log_softmax(logits.clone(), 1).exp().mean_dim(0));
    -probabilities
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| p * p.ln())
        .sum::<f64>()
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

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::tensor::{Tensor, TensorData};

    use super::*;

    /// Logits of `rows` rows, each confident (margin 30) on the class `class_of(row)`.
    fn confident(
        rows: usize,
        classes: usize,
        class_of: impl Fn(usize) -> usize,
    ) -> Tensor<NdArray, 2> {
        let values: Vec<f32> = (0..rows)
            .flat_map(|r| (0..classes).map(move |k| (r, k)))
            .map(|(r, k)| if k == class_of(r) { 30.0 } else { 0.0 })
            .collect();
        Tensor::from_data(
            TensorData::new(values, [rows, classes]),
            &Default::default(),
        )
    }

    #[test]
    fn effective_classes_counts_the_classes_the_predictions_use() {
        let close = |logits: &Tensor<NdArray, 2>, expected: f64| {
            let got = effective_classes(logits).unwrap();
            assert!((got - expected).abs() < 1e-3, "{got} against {expected}");
        };
        // One class takes every prediction.
        close(&confident(40, 10, |_| 3), 1.0);
        // Two classes share them evenly; then all ten.
        close(&confident(40, 10, |r| r % 2), 2.0);
        close(&confident(40, 10, |r| r % 10), 10.0);
        // Unconfident but even predictions use every class too.
        let flat = Tensor::<NdArray, 2>::zeros([5, 4], &Default::default());
        close(&flat, 4.0);
        // Three quarters on one class, a quarter on another: exp(H(0.75, 0.25)).
        let expected = (-(0.75f64 * 0.75f64.ln() + 0.25 * 0.25f64.ln())).exp();
        close(&confident(40, 10, |r| usize::from(r % 4 == 0)), expected);
        assert!(matches!(
            effective_classes(&Tensor::<NdArray, 2>::empty([0, 3], &Default::default())),
            Err(ValidateError::Empty { .. })
        ));
    }
}
