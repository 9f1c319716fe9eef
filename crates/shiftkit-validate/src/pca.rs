//! A two-dimensional picture of a feature space: principal component analysis.

use burn::prelude::*;

use crate::error::ValidateError;
use crate::host::{Axis, check_count, check_enough_rows, check_matrix, matrix, values};
use crate::linalg::leading_eigenpairs;

/// Power-method steps at most per component: enough to settle to `1e-12` unless the
/// two leading variances nearly tie (then any direction in their span serves the picture).
const POWER_ITERATIONS: usize = 10_000;

/// The top two principal components of a set of features, to draw the feature space in the
/// plane (for instance source and target rows, before and after adaptation, in one basis).
///
/// Fitted by [`fit`](Self::fit): the mean `mu` and the sample covariance
/// `C = (1/(N-1)) sum_i (x_i - mu)(x_i - mu)^T` (computed on the backend), then the two
/// leading eigenvectors `v_1, v_2` of `C` by power iteration with deflation, on the host in
/// `f64`. A point projects to `((x - mu) . v_1, (x - mu) . v_2)`. Deterministic: the power
/// method starts from a fixed vector and each component's sign is fixed (its entry of
/// largest magnitude positive).
#[derive(Clone, Debug, PartialEq)]
pub struct Pca2 {
    mean: Vec<f64>,
    components: [Vec<f64>; 2],
    variances: [f64; 2],
}

impl Pca2 {
    /// Fits the components to the rows of `features`.
    ///
    /// # Shapes
    ///
    /// - `features`: `[N, D]`, `N >= 2`, `D >= 2`
    ///
    /// # Errors
    ///
    /// [`ValidateError::Empty`], [`ValidateError::NonFinite`] for an empty or non-finite
    /// input; [`ValidateError::TooFewRows`] for one row, [`ValidateError::TooFewColumns`]
    /// for one column.
    pub fn fit<B: Backend>(features: &Tensor<B, 2>) -> Result<Self, ValidateError> {
        let (rows, columns) = check_matrix(features, "PCA features")?;
        check_enough_rows("PCA features", 2, rows)?;
        if columns < 2 {
            return Err(ValidateError::TooFewColumns {
                what: "PCA features",
                needed: 2,
                found: columns,
            });
        }
        let mean = features.clone().mean_dim(0);
        let centred = features.clone() - mean.clone();
        let covariance =
            values(&(centred.clone().transpose().matmul(centred) / (rows as f64 - 1.0)));
        let mut pairs = leading_eigenpairs(&covariance, columns, 2, POWER_ITERATIONS).into_iter();
        let mut next = || pairs.next().unwrap_or((0.0, vec![0.0; columns]));
        let (first, second) = (next(), next());
        Ok(Self {
            mean: values(&mean),
            components: [first.1, second.1],
            variances: [first.0, second.0],
        })
    }

    /// The coordinates of each row of `features` along the two components.
    ///
    /// # Shapes
    ///
    /// - `features`: `[N, D]` with the `D` of the fitted rows
    /// - output: `N` points
    ///
    /// # Errors
    ///
    /// [`ValidateError::Empty`], [`ValidateError::NonFinite`] for an empty or non-finite
    /// input; [`ValidateError::ColumnMismatch`] for another `D`.
    pub fn project<B: Backend>(
        &self,
        features: &Tensor<B, 2>,
    ) -> Result<Vec<[f32; 2]>, ValidateError> {
        let (rows, columns) = check_matrix(features, "PCA features")?;
        let d = self.mean.len();
        check_count(Axis::Columns, "PCA features", d, columns)?;
        let device = features.device();
        let mean = matrix::<B>(self.mean.clone(), 1, d, &device);
        let mut basis = Vec::with_capacity(2 * d);
        for i in 0..d {
            basis.push(self.components[0][i]);
            basis.push(self.components[1][i]);
        }
        let basis = matrix::<B>(basis, d, 2, &device);
        let projected = values(&((features.clone() - mean).matmul(basis)));
        debug_assert_eq!(projected.len(), 2 * rows);
        Ok(projected
            .chunks_exact(2)
            .map(|xy| [xy[0] as f32, xy[1] as f32])
            .collect())
    }

    /// The mean the features are centred on (`D` values).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The two principal directions, unit vectors of `D` values, the first of largest
    /// variance.
    pub fn components(&self) -> &[Vec<f64>; 2] {
        &self.components
    }

    /// The variance of the fitted rows along each component (the two largest eigenvalues
    /// of their covariance).
    pub fn variances(&self) -> [f64; 2] {
        self.variances
    }
}

/// The rows of `features` projected onto their own top two principal components
/// ([`Pca2::fit`] then [`Pca2::project`]).
///
/// # Shapes
///
/// - `features`: `[N, D]`, `N >= 2`, `D >= 2`
/// - output: `N` points
///
/// # Errors
///
/// As [`Pca2::fit`].
pub fn pca_2d<B: Backend>(features: &Tensor<B, 2>) -> Result<Vec<[f32; 2]>, ValidateError> {
    Pca2::fit(features)?.project(features)
}
