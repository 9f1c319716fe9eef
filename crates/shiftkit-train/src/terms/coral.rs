//! Deep CORAL's covariance term.

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::coral;

use super::{AdaptationTerm, TermInputs, TermOutput};
use crate::TrainError;
use crate::check::check_non_negative;

/// The configuration of [`CovarianceAlignment`]: its weight.
#[derive(Config, Debug, PartialEq)]
pub struct CovarianceAlignmentConfig {
    /// The weight. The default, 100, is large because `1/(4 d²)` makes the raw loss tiny for
    /// wide features (measured on the digits; see docs/design.md).
    #[config(default = 100.0)]
    pub weight: f64,
}

impl CovarianceAlignmentConfig {
    /// Checks the weight.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `coral_weight` when it is negative or not
    /// finite.
    pub fn check(&self) -> Result<(), TrainError> {
        check_non_negative("coral_weight", self.weight)
    }

    /// The term.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds.
    pub fn init(&self) -> Result<CovarianceAlignment, TrainError> {
        CovarianceAlignment::new(self.weight)
    }
}

/// Deep CORAL (Sun & Saenko, 2016): the distance between the feature covariances of the two
/// domains, [`shiftkit_align::coral`]:
///
/// ```text
/// L = ||C_s - C_t||_F² / (4 d²)
/// ```
///
/// Constant weight; reported under `"coral"`.
#[derive(Debug)]
pub struct CovarianceAlignment {
    weight: f64,
}

impl CovarianceAlignment {
    /// The term with weight `weight`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a negative or non-finite weight.
    pub fn new(weight: f64) -> Result<Self, TrainError> {
        check_non_negative("coral_weight", weight)?;
        Ok(Self { weight })
    }
}

impl<B: AutodiffBackend> AdaptationTerm<B> for CovarianceAlignment {
    fn name(&self) -> &str {
        "coral"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let loss = coral(
            inputs.source_features.clone(),
            inputs.target_features.clone(),
        )?;
        Ok(TermOutput::loss(loss))
    }
}
