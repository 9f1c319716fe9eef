//! The checks of hyper-parameters every layer of the trainer shares.

use crate::error::TrainError;

/// A hyper-parameter (a weight) that must be finite and 0 or above.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<(), TrainError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        bad(name, value, "finite and >= 0")
    }
}

/// A hyper-parameter that must be finite and above 0.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<(), TrainError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        bad(name, value, "finite and > 0")
    }
}

/// An [`InvalidHyperParameter`](TrainError::InvalidHyperParameter) error.
pub(crate) fn bad(
    name: &'static str,
    value: f64,
    expected: &'static str,
) -> Result<(), TrainError> {
    Err(TrainError::InvalidHyperParameter {
        name,
        value,
        expected,
    })
}
