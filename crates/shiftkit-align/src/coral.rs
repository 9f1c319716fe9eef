//! Deep CORAL: second-order statistics alignment (Sun & Saenko, ECCV 2016 workshops).

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use crate::error::{AlignError, check_feature_pair};

/// The CORAL loss between the feature covariances of the two domains:
///
/// ```text
/// C_D = 1/(n_D - 1) (X_Dᵀ X_D - 1/n_D (1ᵀ X_D)ᵀ (1ᵀ X_D))     (D = source, target)
/// L   = ||C_s - C_t||_F² / (4 d²)
/// ```
///
/// Differentiable with respect to both inputs; no host read.
///
/// # Shapes
///
/// - source: `[n_s, d]`, target: `[n_t, d]`
/// - output: `[1]`
///
/// # Errors
///
/// [`AlignError::FeatureWidth`] when the widths differ, [`AlignError::TooFewSamples`] when a
/// domain has fewer than 2 rows (a covariance needs two).
pub fn coral<B: Backend>(
    source: Tensor<B, 2>,
    target: Tensor<B, 2>,
) -> Result<Tensor<B, 1>, AlignError> {
    let (_, _, d) = check_feature_pair(source.dims(), target.dims())?;
    let difference = covariance(source) - covariance(target);
    let d = d as f64;
    Ok(difference.square().sum().div_scalar(4.0 * d * d))
}

/// The unbiased covariance of the rows of `x`, `[d, d]`.
fn covariance<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 2> {
    let [n, _] = x.dims();
    let centred = x.clone() - x.mean_dim(0);
    centred
        .clone()
        .transpose()
        .matmul(centred)
        .div_scalar(n as f64 - 1.0)
}
