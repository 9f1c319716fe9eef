//! The configurations of the built-in terms, as one list a run holds.

use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};
use shiftkit_grl::GradientReversalBackend;

use super::context::TermContext;
use super::{
    AdaptationTerm, CentroidAlignmentConfig, ClassConfusionConfig, ConditionalAdversarialConfig,
    CovarianceAlignmentConfig, DomainAdversarialConfig, MeanDiscrepancyConfig,
};
use crate::TrainError;

/// One built-in term's configuration: an entry of [`DannConfig::terms`](crate::DannConfig::terms).
///
/// Each variant holds the configuration type of its term, which lives beside the term: its
/// weight and its own settings. What several terms share comes from the run
/// ([`TermContext`]): the reversal's `alpha` and schedule for the adversarial terms, the ramp's
/// `gamma`, the seed, the feature width and the class count.
///
/// In JSON an entry is its configuration with the term's kind added:
/// `{"term": "mmd", "weight": 1.0, "kernels": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "term", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TermConfig {
    /// DANN's domain-adversarial term.
    Dann(DomainAdversarialConfig),
    /// CDAN's conditional adversarial term (CDAN+E with entropy conditioning).
    Cdan(ConditionalAdversarialConfig),
    /// MSTN's centroid alignment.
    Mstn(CentroidAlignmentConfig),
    /// DAN's multi-kernel MMD.
    Mmd(MeanDiscrepancyConfig),
    /// Deep CORAL.
    Coral(CovarianceAlignmentConfig),
    /// Minimum class confusion.
    Mcc(ClassConfusionConfig),
}

impl TermConfig {
    /// The term's name: its key in the history and the step reports (`"domain"` for both
    /// adversarial terms, `"semantic"`, `"mmd"`, `"coral"`, `"mcc"`).
    pub fn name(&self) -> &'static str {
        match self {
            TermConfig::Dann(_) | TermConfig::Cdan(_) => "domain",
            TermConfig::Mstn(_) => "semantic",
            TermConfig::Mmd(_) => "mmd",
            TermConfig::Coral(_) => "coral",
            TermConfig::Mcc(_) => "mcc",
        }
    }

    /// The term's weight (its final weight, for a ramped one).
    pub fn weight(&self) -> f64 {
        match self {
            TermConfig::Dann(c) => c.weight,
            TermConfig::Cdan(c) => c.weight,
            TermConfig::Mstn(c) => c.weight,
            TermConfig::Mmd(c) => c.weight,
            TermConfig::Coral(c) => c.weight,
            TermConfig::Mcc(c) => c.weight,
        }
    }

    /// The same term with weight `weight`.
    #[must_use]
    pub fn with_weight(mut self, weight: f64) -> Self {
        match &mut self {
            TermConfig::Dann(c) => c.weight = weight,
            TermConfig::Cdan(c) => c.weight = weight,
            TermConfig::Mstn(c) => c.weight = weight,
            TermConfig::Mmd(c) => c.weight = weight,
            TermConfig::Coral(c) => c.weight = weight,
            TermConfig::Mcc(c) => c.weight = weight,
        }
        self
    }

    /// Whether the term uses the classifier's classes (its predictions or the source labels),
    /// which a run without classes cannot give it.
    pub fn needs_classes(&self) -> bool {
        matches!(
            self,
            TermConfig::Cdan(_) | TermConfig::Mstn(_) | TermConfig::Mcc(_)
        )
    }

    /// Checks the term's settings.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming the setting out of range, or a wrapped
    /// error of a nested configuration.
    pub fn check(&self) -> Result<(), TrainError> {
        match self {
            TermConfig::Dann(c) => c.check(),
            TermConfig::Cdan(c) => c.check(),
            TermConfig::Mstn(c) => c.check(),
            TermConfig::Mmd(c) => c.check(),
            TermConfig::Coral(c) => c.check(),
            TermConfig::Mcc(c) => c.check(),
        }
    }

    /// Builds the term for a run.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds, and the errors of building the term's state.
    pub fn init<B: AutodiffBackend + GradientReversalBackend>(
        &self,
        run: &TermContext<'_, B>,
    ) -> Result<Box<dyn AdaptationTerm<B>>, TrainError> {
        Ok(match self {
            TermConfig::Dann(c) => Box::new(c.init::<B>(run)?),
            TermConfig::Cdan(c) => Box::new(c.init::<B>(run)?),
            TermConfig::Mstn(c) => Box::new(c.init(run)?),
            TermConfig::Mmd(c) => Box::new(c.init()?),
            TermConfig::Coral(c) => Box::new(c.init()?),
            TermConfig::Mcc(c) => Box::new(c.init()?),
        })
    }
}
