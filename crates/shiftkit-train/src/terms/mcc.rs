//! Minimum class confusion: the target predictions' confusion between classes.

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::class_confusion;

use super::{AdaptationTerm, TermInputs, TermOutput};
use crate::TrainError;
use crate::check::{check_non_negative, check_positive};

/// The configuration of [`ClassConfusion`]: its weight and softmax temperature.
#[derive(Config, Debug, PartialEq)]
pub struct ClassConfusionConfig {
    /// The weight (the method's trade-off of 1).
    #[config(default = 1.0)]
    pub weight: f64,
    /// The softmax temperature, finite and > 0 (1 is the plain softmax; above 1 softens the
    /// predictions).
    #[config(default = 2.5)]
    pub temperature: f64,
}

impl ClassConfusionConfig {
    /// Checks the weight and the temperature.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `mcc_weight` or `mcc_temperature`.
    pub fn check(&self) -> Result<(), TrainError> {
        check_non_negative("mcc_weight", self.weight)?;
        check_positive("mcc_temperature", self.temperature)
    }

    /// The term.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds.
    pub fn init(&self) -> Result<ClassConfusion, TrainError> {
        ClassConfusion::new(self.weight, self.temperature)
    }
}

/// Minimum Class Confusion (MCC, Jin et al., ECCV 2020): how much the target predictions
/// confuse classes with one another, [`class_confusion`]. It reads the target logits alone (no
/// discriminator, no source term), so it pushes the classifier towards confident predictions
/// that spread over the classes, rather than towards any one class.
///
/// Constant weight; reported under `"mcc"`.
#[derive(Debug)]
pub struct ClassConfusion {
    weight: f64,
    temperature: f64,
}

impl ClassConfusion {
    /// The term with weight `weight` and softmax temperature `temperature`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a negative or non-finite weight, or a
    /// temperature that is not finite and above 0.
    pub fn new(weight: f64, temperature: f64) -> Result<Self, TrainError> {
        check_non_negative("mcc_weight", weight)?;
        check_positive("mcc_temperature", temperature)?;
        Ok(Self {
            weight,
            temperature,
        })
    }
}

impl<B: AutodiffBackend> AdaptationTerm<B> for ClassConfusion {
    fn name(&self) -> &str {
        "mcc"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        Ok(TermOutput::loss(class_confusion(
            inputs.target_logits(),
            self.temperature,
        )))
    }
}
