//! Soft neighbourhood density (Saito et al., ICCV 2021).

use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::log_softmax;

use crate::error::ValidateError;
use crate::host::{check_enough_rows, check_matrix, values};

/// The temperature of the paper (and of its code): `0.05`.
pub const SND_TEMPERATURE: f64 = 0.05;

/// Rows of the similarity matrix computed at once, so that memory stays `O(CHUNK * N)`.
const CHUNK: usize = 512;

/// Soft neighbourhood density of the rows of `points` (Saito, Kim, Teterwak, Sclaroff,
/// Darrell and Saenko, "Tune it the Right Way: Unsupervised Validation of Domain Adaptation
/// via Soft Neighborhood Density", ICCV 2021):
///
/// 1. L2-normalise each row: `f_i = x_i / ||x_i||`;
/// 2. cosine similarities `s_ij = f_i . f_j`, the diagonal `j = i` left out;
/// 3. per row a softmax with temperature `tau`: `P_ij = exp(s_ij / tau) / sum_{l != i} exp(s_il / tau)`;
/// 4. `SND = (1/N) sum_i H(P_i) = -(1/N) sum_i sum_{j != i} P_ij ln P_ij`.
///
/// Higher is better: a high entropy means each point has many close neighbours (dense
/// clusters), a low one that its similarity mass sits on a few points. The paper applies it
/// to the target's softmax outputs (see [`snd_score`]) with `tau = 0.05`
/// ([`SND_TEMPERATURE`]). The result lies in `[0, ln(N - 1)]`. A row of zeros has no
/// direction; it is left at zero after normalisation (similarity 0 to everything).
///
/// # Shapes
///
/// - `points`: `[N, D]`, `N >= 2`
///
/// # Errors
///
/// - [`ValidateError::Empty`], [`ValidateError::NonFinite`] for an empty or non-finite input;
/// - [`ValidateError::TooFewRows`] for fewer than two rows;
/// - [`ValidateError::InvalidTemperature`] for a temperature that is not finite and `> 0`.
pub fn soft_neighbourhood_density<B: Backend>(
    points: &Tensor<B, 2>,
    temperature: f64,
) -> Result<f64, ValidateError> {
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(ValidateError::InvalidTemperature(temperature));
    }
    let (rows, _) = check_matrix(points, "SND points")?;
    check_enough_rows("SND points", 2, rows)?;
    let device = points.device();
    let norms = points
        .clone()
        .powf_scalar(2.0)
        .sum_dim(1)
        .sqrt()
        .clamp_min(1e-12);
    let unit = points.clone() / norms;
    let unit_t = unit.clone().transpose();
    // exp(-1e4) underflows to exactly 0 after the softmax, whatever the other similarities
    // (cosines over tau lie in [-1 / tau, 1 / tau]).
    let masked = -1e4 - 1.0 / temperature;
    let mut total = 0.0;
    let mut start = 0;
    while start < rows {
        let len = CHUNK.min(rows - start);
        let similarity = unit.clone().narrow(0, start, len).matmul(unit_t.clone()) / temperature;
        let mut diagonal = vec![false; len * rows];
        for i in 0..len {
            diagonal[i * rows + start + i] = true;
        }
        let mask = Tensor::<B, 2, Bool>::from_data(TensorData::new(diagonal, [len, rows]), &device);
        let log_p = log_softmax(similarity.mask_fill(mask, masked), 1);
        let p = log_p.clone().exp();
        total += values(&(p * log_p).sum().neg())[0];
        start += len;
    }
    Ok((total / rows as f64).max(0.0))
}

/// SND as the paper uses it: on the softmax of the target logits, temperature `tau`.
///
/// # Shapes
///
/// - `target_logits`: `[N, K]`, `N >= 2`
///
/// # Errors
///
/// As [`soft_neighbourhood_density`].
pub fn snd_score<B: Backend>(
    target_logits: &Tensor<B, 2>,
    temperature: f64,
) -> Result<f64, ValidateError> {
    check_matrix(target_logits, "target logits")?;
    let probabilities = log_softmax(target_logits.clone(), 1).exp();
    soft_neighbourhood_density(&probabilities, temperature)
}
