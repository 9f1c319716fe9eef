//! Multi-kernel maximum mean discrepancy (DAN, Long et al., ICML 2015).

use burn::config::Config;
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{AlignError, check_feature_pair};

/// Which estimate of MMD² [`mmd2`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MmdEstimator {
    /// The unbiased U-statistic: within-domain sums leave out the diagonal `k(x_i, x_i)` and
    /// divide by `m (m - 1)`. Its expectation is the population MMD² (zero when the two
    /// distributions agree); a single estimate can be negative.
    #[default]
    Unbiased,
    /// The biased V-statistic: within-domain sums keep the diagonal and divide by `m²`. Always
    /// non-negative, but positive in expectation even for identical distributions
    /// (`(1 - E k(x, x'))/m + (1 - E k(y, y'))/n` above the population value), so small
    /// batches see a floor that alignment cannot remove.
    Biased,
}

/// Configuration of [`mmd2`]: the Gaussian kernels and the estimator.
///
/// The defaults are ShiftKit's bandwidths, `sigma in {0.1, 1, 5, 10, 50}`, with the unbiased
/// estimator (which ShiftKit's documentation promises; its code computes the biased one, which
/// stays available as [`MmdEstimator::Biased`]).
#[derive(Config, Debug, PartialEq)]
pub struct MmdConfig {
    /// The bandwidths `sigma` of the Gaussian kernels `exp(-||x - y||² / (2 sigma²))`, whose
    /// mean is the kernel. With [`median_heuristic`](Self::median_heuristic) they are
    /// multipliers of the median bandwidth instead.
    #[config(default = "vec![0.1, 1.0, 5.0, 10.0, 50.0]")]
    pub sigmas: Vec<f64>,
    /// Scale every bandwidth by `sigma_0`, where `2 sigma_0²` is the median of the squared
    /// distances between distinct rows of the joint batch (computed on the device, carrying no
    /// gradient): the bandwidth then follows the features' scale. `sigmas = [1.0]` gives the
    /// plain median heuristic.
    #[config(default = false)]
    pub median_heuristic: bool,
    /// The estimator.
    #[config(default = "MmdEstimator::Unbiased")]
    pub estimator: MmdEstimator,
}

impl MmdConfig {
    /// Checks the bandwidths.
    ///
    /// # Errors
    ///
    /// [`AlignError::InvalidBandwidth`] for an empty list or a bandwidth that is not finite
    /// and positive, or whose `2 sigma^2` is below f32's smallest normal number.
    pub fn check(&self) -> Result<(), AlignError> {
        if self.sigmas.is_empty() {
            return Err(AlignError::InvalidBandwidth(f64::NAN));
        }
        let usable =
            |s: f64| s.is_finite() && s > 0.0 && 2.0 * s * s >= f64::from(f32::MIN_POSITIVE);
        if let Some(&bad) = self.sigmas.iter().find(|s| !usable(**s)) {
            return Err(AlignError::InvalidBandwidth(bad));
        }
        Ok(())
    }
}

/// The squared maximum mean discrepancy between the rows of `source` and `target` under a
/// mean of Gaussian kernels (the multi-kernel MMD of DAN, with equal kernel weights):
///
/// ```text
/// k(x, y)  = 1/|S| sum_{sigma in S} exp(-||x - y||² / (2 sigma²))
/// unbiased: MMD²_u = 1/(m(m-1)) sum_{i != j} k(s_i, s_j) + 1/(n(n-1)) sum_{i != j} k(t_i, t_j)
///                    - 2/(m n) sum_{i, j} k(s_i, t_j)
/// biased:   MMD²_b = 1/m² sum_{i, j} k(s_i, s_j) + 1/n² sum_{i, j} k(t_i, t_j)
///                    - 2/(m n) sum_{i, j} k(s_i, t_j)
/// ```
///
/// Differentiable with respect to both inputs; no host read.
///
/// # Shapes
///
/// - source: `[m, d]`, target: `[n, d]`
/// - output: `[1]`
///
/// # Errors
///
/// [`AlignError::InvalidBandwidth`], [`AlignError::FeatureWidth`] when the widths differ,
/// [`AlignError::TooFewSamples`] when a domain has fewer than 2 rows (the unbiased estimate
/// needs pairs; the biased one is kept to the same rule).
pub fn mmd2<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
    config: &MmdConfig,
) -> Result<Tensor<B, 1>, AlignError> {
    config.check()?;
    let (m, n, _) = check_feature_pair(source.dims(), target.dims())?;
    let joint = Tensor::cat(vec![source, target], 0);
    let distances = squared_distances(joint);
    let device = distances.device();
    let scale = if config.median_heuristic {
        // 2 sigma_0² = median of the off-diagonal squared distances (the diagonal set to +inf).
        let total = m + n;
        let off = distances.clone().detach().mask_fill(
            Tensor::<B, 2, Bool>::diag_mask([total, total], 0, &device).bool_not(),
            f64::INFINITY,
        );
        Some(
            median_off_diagonal(off, total)
                .div_scalar(2.0)
                .clamp_min(1e-12),
        )
    } else {
        None
    };
    let mut kernel: Option<Tensor<B, 2>> = None;
    for &sigma in &config.sigmas {
        let exponent = match &scale {
            // -||x - y||² / (2 sigma² sigma_0²)
            Some(sigma0_squared) => distances.clone().div(
                sigma0_squared
                    .clone()
                    .mul_scalar(2.0 * sigma * sigma)
                    .unsqueeze(),
            ),
            None => distances.clone().div_scalar(2.0 * sigma * sigma),
        };
        let k = exponent.neg().exp();
        kernel = Some(match kernel {
            Some(sum) => sum + k,
            None => k,
        });
    }
    let kernel = kernel
        .expect("check() ensures at least one bandwidth")
        .div_scalar(config.sigmas.len() as f64);

    let k_ss = kernel.clone().slice([0..m, 0..m]);
    let k_tt = kernel.clone().slice([m..m + n, m..m + n]);
    let k_st = kernel.slice([0..m, m..m + n]);
    let (m_f, n_f) = (m as f64, n as f64);
    let within = |k: Tensor<B, 2>, rows: usize, rows_f: f64| match config.estimator {
        MmdEstimator::Unbiased => {
            let off_diagonal = Tensor::<B, 2, Bool>::diag_mask([rows, rows], 0, &device);
            k.mask_fill(off_diagonal.bool_not(), 0.0)
                .sum()
                .div_scalar(rows_f * (rows_f - 1.0))
        }
        MmdEstimator::Biased => k.sum().div_scalar(rows_f * rows_f),
    };
    Ok(within(k_ss, m, m_f) + within(k_tt, n, n_f) - k_st.sum().mul_scalar(2.0 / (m_f * n_f)))
}

/// `||x_i - x_j||²` for every pair of rows, clamped at 0 against rounding.
fn squared_distances<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 2> {
    let norms = x.clone().square().sum_dim(1); // [N, 1]
    let gram = x.clone().matmul(x.transpose());
    (norms.clone() + norms.transpose() - gram.mul_scalar(2.0)).clamp_min(0.0)
}

/// The median of the off-diagonal entries of an `[n, n]` matrix whose diagonal holds +inf
/// (which sorts last), as `[1]`.
fn median_off_diagonal<B: Backend>(masked: Tensor<B, 2>, n: usize) -> Tensor<B, 1> {
    let count = n * (n - 1);
    let flat = masked.reshape([n * n]).sort(0);
    if count % 2 == 1 {
        flat.slice(count / 2..count / 2 + 1)
    } else {
        flat.slice(count / 2 - 1..count / 2 + 1).mean()
    }
}
