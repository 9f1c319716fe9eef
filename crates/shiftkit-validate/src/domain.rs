//! A logistic-regression domain classifier on features: density ratios for IWCV and DEV,
//! and the proxy A-distance.

use burn::config::Config;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use crate::error::ValidateError;
use crate::host::{
    Axis, check_count, check_domains, check_enough_rows, check_matrix, matrix, parity, rows, values,
};
use crate::linalg::leading_eigenpairs;

/// Power-method steps for the smoothness constant: only the eigenvalue is needed, and the
/// estimate `||M v||` is close to it long before the vector settles.
const SMOOTHNESS_ITERATIONS: usize = 200;

/// Configuration of the [`DomainClassifier`]: L2-regularised logistic regression trained by
/// full-batch gradient descent.
#[derive(Config, Debug, PartialEq)]
pub struct DomainClassifierConfig {
    /// Gradient-descent steps.
    #[config(default = 300)]
    pub iterations: usize,
    /// The L2 penalty `lambda / 2 * ||w||^2` on the weights (not the bias), against the mean of
    /// the two domains' losses (see [`fit`](Self::fit)). It keeps the
    /// classifier's logits, and so the density ratios, bounded when the domains separate.
    #[config(default = 1e-2)]
    pub l2: f64,
}

impl DomainClassifierConfig {
    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ValidateError::NoIterations`] for 0 iterations, [`ValidateError::InvalidL2`] for a
    /// negative or non-finite penalty.
    pub fn check(&self) -> Result<(), ValidateError> {
        if self.iterations == 0 {
            return Err(ValidateError::NoIterations);
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(ValidateError::InvalidL2(self.l2));
        }
        Ok(())
    }

    /// Trains a classifier telling `target` rows (label 1) from `source` rows (label 0).
    ///
    /// - Features are standardised with the mean and standard deviation of the pooled
    ///   training rows (a constant column is only centred).
    /// - The loss weighs the two domains equally, whatever their sizes:
    ///   `L(w, b) = (mean_source ln(1 + e^{z}) + mean_target ln(1 + e^{-z})) / 2 +
    ///   lambda / 2 ||w||^2`,
    ///   `z = w . x + b`. Its minimiser has `z(x) ~ ln(p_t(x) / p_s(x))`, the log density
    ///   ratio, with no correction for the domains' sizes.
    /// - Gradient descent from `w = 0, b = 0` with the step `1 / L`, `L = lambda_max / 4 +
    ///   lambda` the loss's smoothness constant (`lambda_max` the largest eigenvalue of the
    ///   domain-balanced second moment of the standardised rows with a bias column, found by
    ///   power iteration), which makes the loss decrease at every step. No randomness: the
    ///   same inputs on the same backend give the same classifier.
    ///
    /// # Shapes
    ///
    /// - `source`: `[N_s, D]`, `target`: `[N_t, D]`
    ///
    /// # Errors
    ///
    /// As [`check`](Self::check); [`ValidateError::Empty`], [`ValidateError::NonFinite`] for
    /// an empty or non-finite input; [`ValidateError::ColumnMismatch`] when the two inputs
    /// have different feature counts.
    pub fn fit<B: Backend>(
        &self,
        source: &Tensor<B, 2>,
        target: &Tensor<B, 2>,
    ) -> Result<DomainClassifier<B>, ValidateError> {
        self.check()?;
        let (n_s, n_t, d) = check_domains(source, target)?;
        let device = source.device();
        let pooled = Tensor::cat(vec![source.clone(), target.clone()], 0);
        let n = n_s + n_t;
        let mean = pooled.clone().mean_dim(0);
        let centred = pooled - mean.clone();
        let std = values(&centred.clone().powf_scalar(2.0).mean_dim(0))
            .into_iter()
            .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
            .collect::<Vec<_>>();
        let std = matrix::<B>(std, 1, d, &device);
        let x = centred / std.clone();

        // Per-row weights 1 / (2 n_s) and 1 / (2 n_t), and the labels.
        let mut weights = vec![0.5 / n_s as f64; n_s];
        weights.extend(std::iter::repeat_n(0.5 / n_t as f64, n_t));
        let mut labels = vec![0.0; n_s];
        labels.extend(std::iter::repeat_n(1.0, n_t));
        let weights = matrix::<B>(weights, n, 1, &device);
        let labels = matrix::<B>(labels, n, 1, &device);

        // Smoothness: the largest eigenvalue of sum_i c_i [x_i; 1][x_i; 1]^T.
        let augmented = Tensor::cat(vec![x.clone(), Tensor::ones([n, 1], &device)], 1);
        let moment = values(
            &augmented
                .clone()
                .transpose()
                .matmul(augmented * weights.clone()),
        );
        let lambda_max = leading_eigenpairs(&moment, d + 1, 1, SMOOTHNESS_ITERATIONS)
            .first()
            .map_or(1.0, |pair| pair.0);
        // A 10 % margin over the power method's estimate, which approaches from below.
        let step = 1.0 / (1.1 * lambda_max / 4.0 + self.l2);

        let mut w = Tensor::<B, 2>::zeros([d, 1], &device);
        let mut b = Tensor::<B, 2>::zeros([1, 1], &device);
        let x_t = x.clone().transpose();
        for _ in 0..self.iterations {
            let z = x.clone().matmul(w.clone()) + b.clone();
            let residual = (sigmoid(z) - labels.clone()) * weights.clone();
            let grad_w = x_t.clone().matmul(residual.clone()) + w.clone() * self.l2;
            let grad_b = residual.sum().reshape([1, 1]);
            w = w - grad_w * step;
            b = b - grad_b * step;
        }
        Ok(DomainClassifier {
            mean,
            std,
            weights: w,
            bias: b,
        })
    }
}

/// A trained logistic-regression domain classifier (see [`DomainClassifierConfig::fit`]):
/// positive logits mean "target".
#[derive(Clone, Debug)]
pub struct DomainClassifier<B: Backend> {
    mean: Tensor<B, 2>,
    std: Tensor<B, 2>,
    weights: Tensor<B, 2>,
    bias: Tensor<B, 2>,
}

impl<B: Backend> DomainClassifier<B> {
    /// The logit `z(x) = w . standardise(x) + b` of each row: an estimate of
    /// `ln(p_t(x) / p_s(x))`.
    ///
    /// # Shapes
    ///
    /// - `features`: `[N, D]`
    /// - output: `N` values
    ///
    /// # Errors
    ///
    /// [`ValidateError::Empty`], [`ValidateError::NonFinite`] for an empty or non-finite
    /// input, [`ValidateError::ColumnMismatch`] for another feature count than the training
    /// rows'.
    pub fn logits(&self, features: &Tensor<B, 2>) -> Result<Vec<f64>, ValidateError> {
        let (_, d) = check_matrix(features, "features")?;
        let [expected, _] = self.weights.dims();
        check_count(Axis::Columns, "features", expected, d)?;
        let x = (features.clone() - self.mean.clone()) / self.std.clone();
        Ok(values(
            &(x.matmul(self.weights.clone()) + self.bias.clone()),
        ))
    }

    /// The density ratio `w(x) = p_t(x) / p_s(x) = exp(z(x))` of each row.
    ///
    /// # Shapes
    ///
    /// - `features`: `[N, D]`
    /// - output: `N` positive values
    ///
    /// # Errors
    ///
    /// As [`logits`](Self::logits).
    pub fn density_ratios(&self, features: &Tensor<B, 2>) -> Result<Vec<f64>, ValidateError> {
        Ok(self.logits(features)?.into_iter().map(f64::exp).collect())
    }

    /// The domain-balanced error rate on held-out rows: the mean of the share of `source`
    /// rows called target (`z > 0`) and the share of `target` rows called source.
    ///
    /// # Shapes
    ///
    /// - `source`: `[N_s, D]`, `target`: `[N_t, D]`
    ///
    /// # Errors
    ///
    /// As [`logits`](Self::logits).
    pub fn balanced_error(
        &self,
        source: &Tensor<B, 2>,
        target: &Tensor<B, 2>,
    ) -> Result<f64, ValidateError> {
        let share = |logits: Vec<f64>, wrong: fn(f64) -> bool| {
            logits.iter().filter(|&&z| wrong(z)).count() as f64 / logits.len() as f64
        };
        let source_error = share(self.logits(source)?, |z| z > 0.0);
        let target_error = share(self.logits(target)?, |z| z <= 0.0);
        Ok(0.5 * (source_error + target_error))
    }
}

/// Density ratios `w(x) = p_t(x) / p_s(x)` for every row of `source`, each from a domain
/// classifier that did not see that row (two-fold cross-fitting).
///
/// The rows of each domain are cut by position into even and odd halves; a classifier
/// trained on the even halves of both domains gives the ratios of the odd source rows, and
/// one trained on the odd halves those of the even source rows. So every source row is
/// weighted by a classifier that holds it out, as IWCV and DEV ask, and no row is wasted.
/// Shuffle the rows beforehand if their order carries meaning.
///
/// # Shapes
///
/// - `source`: `[N_s, D]`, `N_s >= 2`; `target`: `[N_t, D]`, `N_t >= 2`
/// - output: `N_s` positive values
///
/// # Errors
///
/// [`ValidateError::TooFewRows`] for fewer than two rows in a domain; otherwise as
/// [`DomainClassifierConfig::fit`].
pub fn cross_fitted_density_ratios<B: Backend>(
    source: &Tensor<B, 2>,
    target: &Tensor<B, 2>,
    config: &DomainClassifierConfig,
) -> Result<Vec<f64>, ValidateError> {
    let (n_s, n_t) = halves_possible(source, target)?;
    let mut ratios = vec![0.0; n_s];
    for fold in 0..2 {
        let classifier = config.fit(
            &rows(source, &parity(n_s, fold)),
            &rows(target, &parity(n_t, fold)),
        )?;
        let held_out = parity(n_s, 1 - fold);
        let fold_ratios = classifier.density_ratios(&rows(source, &held_out))?;
        for (index, ratio) in held_out.into_iter().zip(fold_ratios) {
            ratios[index] = ratio;
        }
    }
    Ok(ratios)
}

/// The proxy A-distance between two feature sets (Ben-David, Blitzer, Crammer and Pereira,
/// NIPS 2007; Ganin et al., JMLR 2016):
///
/// `d_A = 2 (1 - 2 err)`,
///
/// where `err` is the held-out error of a domain classifier: trained on the even rows of
/// both domains, measured ([`DomainClassifier::balanced_error`]) on the odd rows. About 2 for
/// domains a linear classifier separates, about 0 for domains it cannot tell apart
/// (slightly negative values are noise). Lower means better-aligned features.
///
/// # Shapes
///
/// - `source`: `[N_s, D]`, `N_s >= 2`; `target`: `[N_t, D]`, `N_t >= 2`
///
/// # Errors
///
/// As [`cross_fitted_density_ratios`].
pub fn proxy_a_distance<B: Backend>(
    source: &Tensor<B, 2>,
    target: &Tensor<B, 2>,
    config: &DomainClassifierConfig,
) -> Result<f64, ValidateError> {
    let (n_s, n_t) = halves_possible(source, target)?;
    let classifier = config.fit(
        &rows(source, &parity(n_s, 0)),
        &rows(target, &parity(n_t, 0)),
    )?;
    let error = classifier.balanced_error(
        &rows(source, &parity(n_s, 1)),
        &rows(target, &parity(n_t, 1)),
    )?;
    Ok(2.0 * (1.0 - 2.0 * error))
}

/// Checks both inputs and that each has two rows to halve.
fn halves_possible<B: Backend>(
    source: &Tensor<B, 2>,
    target: &Tensor<B, 2>,
) -> Result<(usize, usize), ValidateError> {
    let (n_s, n_t, _) = check_domains(source, target)?;
    check_enough_rows("source features", 2, n_s)?;
    check_enough_rows("target features", 2, n_t)?;
    Ok((n_s, n_t))
}
