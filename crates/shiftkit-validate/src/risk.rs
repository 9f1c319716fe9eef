//! Importance-weighted risks: IWCV (Sugiyama et al., 2007) and DEV (You et al., 2019).

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use crate::error::ValidateError;
use crate::host::{Axis, check_count, check_finite, check_matrix, values};

/// Importance weights whose standard deviation is below this share of their mean count as
/// constant in [`dev_risk`] (about a thousand times `f32` rounding).
pub const CONSTANT_WEIGHTS: f64 = 1e-4;

/// The cross-entropy `l_i = -ln softmax(z_i)[y_i]` of each row of `logits` against its label.
///
/// # Shapes
///
/// - `logits`: `[N, K]`, `labels`: `[N]` with values in `0..K`
/// - output: `N` values `>= 0`
///
/// # Errors
///
/// [`ValidateError::Empty`], [`ValidateError::NonFinite`] for empty or non-finite logits;
/// [`ValidateError::RowMismatch`] when the label count differs from `N`;
/// [`ValidateError::LabelOutOfRange`] for a label outside `0..K`.
pub fn cross_entropies<B: Backend>(
    logits: &Tensor<B, 2>,
    labels: &Tensor<B, 1, Int>,
) -> Result<Vec<f64>, ValidateError> {
    let (rows, classes) = check_matrix(logits, "source logits")?;
    let [found] = labels.dims();
    check_count(Axis::Rows, "source labels", rows, found)?;
    let host_labels: Vec<i64> = labels.to_data().iter::<i64>().collect();
    if let Some((row, &label)) = host_labels
        .iter()
        .enumerate()
        .find(|&(_, &label)| label < 0 || label as usize >= classes)
    {
        return Err(ValidateError::LabelOutOfRange {
            what: "source labels",
            row,
            label,
            classes,
        });
    }
    let log_p = log_softmax(logits.clone(), 1);
    let picked = log_p.gather(1, labels.clone().reshape([rows, 1]));
    Ok(values(&picked).into_iter().map(|v| (-v).max(0.0)).collect())
}

/// The squared error `(z_i0 - v_i)²` of each row's first output against its value: a
/// regression's per-row loss. The shapes are checked by
/// [`ValidationInputs::with_source_values`](crate::ValidationInputs::with_source_values).
pub fn squared_errors<B: Backend>(outputs: &Tensor<B, 2>, values: &Tensor<B, 1>) -> Vec<f64> {
    let [rows, _] = outputs.dims();
    let predicted = outputs.clone().slice([0..rows, 0..1]).reshape([rows]);
    let errors = (predicted - values.clone())
        .powi_scalar(2)
        .reshape([rows, 1]);
    self::values(&errors)
}

/// The importance-weighted validation risk of IWCV (Sugiyama, Krauledat and Müller,
/// "Covariate Shift Adaptation by Importance Weighted Cross Validation", JMLR 2007):
///
/// `R_IWCV = (1/n) sum_i w(x_i) l_i`,
///
/// the mean over held-out source rows of the loss `l_i` weighted by the density ratio
/// `w(x) = p_t(x) / p_s(x)`: an unbiased estimate of the target risk under covariate shift
/// when the ratios are exact. Lower is better ([`crate::Validator::Iwcv`] negates it).
///
/// # Errors
///
/// [`ValidateError::Empty`] for no loss, [`ValidateError::RowMismatch`] when the two slices
/// differ in length, [`ValidateError::NonFinite`] for a NaN or infinite value.
pub fn iwcv_risk(losses: &[f64], weights: &[f64]) -> Result<f64, ValidateError> {
    check_pairs(losses, weights)?;
    Ok(losses.iter().zip(weights).map(|(l, w)| w * l).sum::<f64>() / losses.len() as f64)
}

/// The deep-embedded-validation risk (You, Wang, Chen, Long and Wang, "Towards Accurate
/// Model Selection in Deep Unsupervised Domain Adaptation", ICML 2019): IWCV with a control
/// variate that cancels much of the weights' variance,
///
/// `L_i = w_i l_i`,
/// `eta = -Cov(L, w) / Var(w)`,
/// `R_DEV = mean(L) + eta mean(w) - eta`.
///
/// `w` has expectation 1 under the source, so the correction `eta (mean(w) - 1)` has mean 0
/// and `eta` is the coefficient that minimises the variance. Covariance and variance are the
/// unbiased sample ones (divisor `n - 1`).
///
/// When the weights do not vary there is nothing to correct: `eta = 0` and DEV is IWCV.
/// "Do not vary" means a standard deviation below [`CONSTANT_WEIGHTS`] times their mean
/// (one row included). The guard matters when the domains coincide: the domain classifier
/// then gives ratios of 1 up to `f32` rounding, and `eta`, a ratio of two rounding-level
/// moments, would turn that noise into a correction of the order of the losses' spread.
/// Lower is better ([`crate::Validator::Dev`] negates it).
///
/// # Errors
///
/// As [`iwcv_risk`].
pub fn dev_risk(losses: &[f64], weights: &[f64]) -> Result<f64, ValidateError> {
    check_pairs(losses, weights)?;
    let n = losses.len() as f64;
    let weighted: Vec<f64> = losses.iter().zip(weights).map(|(l, w)| w * l).collect();
    let mean_weighted = weighted.iter().sum::<f64>() / n;
    let mean_weight = weights.iter().sum::<f64>() / n;
    if losses.len() < 2 {
        return Ok(mean_weighted);
    }
    let covariance = weighted
        .iter()
        .zip(weights)
        .map(|(l, w)| (l - mean_weighted) * (w - mean_weight))
        .sum::<f64>()
        / (n - 1.0);
    let variance = weights
        .iter()
        .map(|w| (w - mean_weight).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let eta = if variance.sqrt() > CONSTANT_WEIGHTS * mean_weight.abs() {
        -covariance / variance
    } else {
        0.0
    };
    Ok(mean_weighted + eta * mean_weight - eta)
}

/// Checks two non-empty slices of equal length and finite values.
fn check_pairs(losses: &[f64], weights: &[f64]) -> Result<(), ValidateError> {
    if losses.is_empty() {
        return Err(ValidateError::Empty { what: "losses" });
    }
    check_count(
        Axis::Rows,
        "importance weights",
        losses.len(),
        weights.len(),
    )?;
    check_finite(losses, 1, "losses")?;
    check_finite(weights, 1, "importance weights")
}
