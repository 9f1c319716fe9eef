use thiserror::Error;

/// What can go wrong when reversing gradients.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum GrlError {
    /// The reversal strength `alpha` was NaN or infinite.
    #[error("the gradient-reversal strength alpha must be finite, got {0}")]
    NonFiniteAlpha(f64),
}

/// Checks that `alpha` is usable as a reversal strength.
pub(crate) fn check_alpha(alpha: f64) -> Result<f64, GrlError> {
    if alpha.is_finite() {
        Ok(alpha)
    } else {
        Err(GrlError::NonFiniteAlpha(alpha))
    }
}
