//! The validators by name, and the inputs they read.

use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{DomainClassifierConfig, cross_fitted_density_ratios};
use crate::entropy::{entropy_score, information_maximization};
use crate::error::ValidateError;
use crate::host::{Axis, check_count, check_matrix};
use crate::risk::{cross_entropies, dev_risk, iwcv_risk, squared_errors};
use crate::snd::{SND_TEMPERATURE, snd_score, soft_neighbourhood_density};

/// What a model produced on held-out source rows and on target rows: everything a
/// validator reads. There is no place for target labels.
///
/// Built by [`new`](Self::new), which checks shapes, values and labels, so that a bad input
/// is reported when the inputs are gathered rather than by the first validator to read it.
#[derive(Clone, Debug)]
pub struct ValidationInputs<B: Backend> {
    source_features: Tensor<B, 2>,
    source_logits: Tensor<B, 2>,
    source_labels: Tensor<B, 1, Int>,
    source_values: Option<Tensor<B, 1>>,
    target_features: Tensor<B, 2>,
    target_logits: Tensor<B, 2>,
}

impl<B: Backend> ValidationInputs<B> {
    /// Checked inputs.
    ///
    /// # Shapes
    ///
    /// - `source_features`: `[N_s, D]`, `source_logits`: `[N_s, K]`, `source_labels`:
    ///   `[N_s]` in `0..K` (held-out source rows: not trained on)
    /// - `target_features`: `[N_t, D]`, `target_logits`: `[N_t, K]`
    ///
    /// # Errors
    ///
    /// - [`ValidateError::Empty`] for an input with no row or column;
    /// - [`ValidateError::RowMismatch`] when a domain's inputs disagree on the rows;
    /// - [`ValidateError::ColumnMismatch`] when the domains disagree on `D` or `K`;
    /// - [`ValidateError::NonFinite`] for a NaN or infinite value;
    /// - [`ValidateError::LabelOutOfRange`] for a label outside `0..K`.
    pub fn new(
        source_features: Tensor<B, 2>,
        source_logits: Tensor<B, 2>,
        source_labels: Tensor<B, 1, Int>,
        target_features: Tensor<B, 2>,
        target_logits: Tensor<B, 2>,
    ) -> Result<Self, ValidateError> {
        let (n_s, d) = check_matrix(&source_features, "source features")?;
        let (n_t, d_t) = check_matrix(&target_features, "target features")?;
        let (n_s_logits, k) = check_matrix(&source_logits, "source logits")?;
        let (n_t_logits, k_t) = check_matrix(&target_logits, "target logits")?;
        check_count(Axis::Rows, "source logits", n_s, n_s_logits)?;
        check_count(Axis::Rows, "target logits", n_t, n_t_logits)?;
        check_count(Axis::Columns, "target features", d, d_t)?;
        check_count(Axis::Columns, "target logits", k, k_t)?;
        // Checks the labels' count and range.
        cross_entropies(&source_logits, &source_labels)?;
        Ok(Self {
            source_features,
            source_logits,
            source_labels,
            source_values: None,
            target_features,
            target_logits,
        })
    }

    /// The inputs of a regression: the held-out source rows' values, `[N_s]`, which the
    /// model's first output predicts. IWCV and DEV then weigh the squared errors instead of
    /// cross-entropies; the validators of class predictions refuse to score.
    ///
    /// # Errors
    ///
    /// [`ValidateError::RowMismatch`] when the count differs from `N_s`;
    /// [`ValidateError::NonFinite`] for a NaN or infinite value.
    pub fn with_source_values(mut self, values: Tensor<B, 1>) -> Result<Self, ValidateError> {
        let [n] = values.dims();
        let (rows, _) = check_matrix(&self.source_logits, "source logits")?;
        check_count(Axis::Rows, "source values", rows, n)?;
        check_matrix(&values.clone().reshape([n, 1]), "source values")?;
        self.source_values = Some(values);
        Ok(self)
    }

    /// A regression's held-out source values, `[N_s]`, if these are a regression's inputs.
    pub fn source_values(&self) -> Option<&Tensor<B, 1>> {
        self.source_values.as_ref()
    }

    /// Held-out source features, `[N_s, D]`.
    pub fn source_features(&self) -> &Tensor<B, 2> {
        &self.source_features
    }

    /// Held-out source logits, `[N_s, K]`.
    pub fn source_logits(&self) -> &Tensor<B, 2> {
        &self.source_logits
    }

    /// Held-out source labels, `[N_s]`.
    pub fn source_labels(&self) -> &Tensor<B, 1, Int> {
        &self.source_labels
    }

    /// Target features, `[N_t, D]`.
    pub fn target_features(&self) -> &Tensor<B, 2> {
        &self.target_features
    }

    /// Target logits, `[N_t, K]`.
    pub fn target_logits(&self) -> &Tensor<B, 2> {
        &self.target_logits
    }
}

/// Which rows SND measures the density of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SndSpace {
    /// The softmax of the target logits, as in the paper.
    Probabilities,
    /// The target features.
    Features,
}

/// Settings of the validators; the defaults are the papers'.
#[derive(Config, Debug, PartialEq)]
pub struct ValidatorConfig {
    /// SND's softmax temperature (the paper's 0.05, [`SND_TEMPERATURE`]).
    #[config(default = "SND_TEMPERATURE")]
    pub snd_temperature: f64,
    /// What SND measures the density of (the paper: the softmax outputs).
    #[config(default = "SndSpace::Probabilities")]
    pub snd_space: SndSpace,
    /// The domain classifier giving IWCV's and DEV's density ratios.
    #[config(default = "DomainClassifierConfig::new()")]
    pub domain_classifier: DomainClassifierConfig,
}

/// A label-free score of a trained model; higher is better for every validator.
///
/// Serialised (serde) by its [`name`](Self::name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Validator {
    /// Negative mean entropy of the target predictions ([`entropy_score`]).
    Entropy,
    /// Information maximisation, `H(mean p) - mean H(p)` on the target
    /// ([`information_maximization`]).
    Im,
    /// Soft neighbourhood density of the target predictions
    /// ([`soft_neighbourhood_density`]).
    Snd,
    /// Negative importance-weighted source validation loss ([`iwcv_risk`]), with
    /// cross-fitted density ratios ([`cross_fitted_density_ratios`]).
    Iwcv,
    /// Negative deep-embedded-validation risk ([`dev_risk`]), with the same ratios.
    Dev,
}

impl Validator {
    /// Every validator.
    pub const ALL: [Self; 5] = [Self::Entropy, Self::Im, Self::Snd, Self::Iwcv, Self::Dev];

    /// The validator's name: `entropy`, `im`, `snd`, `iwcv` or `dev`; what [`FromStr`]
    /// reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Entropy => "entropy",
            Self::Im => "im",
            Self::Snd => "snd",
            Self::Iwcv => "iwcv",
            Self::Dev => "dev",
        }
    }

    /// Whether the validator reads the source rows and trains a domain classifier (IWCV,
    /// DEV), rather than reading the target predictions only.
    pub fn uses_source(self) -> bool {
        matches!(self, Self::Iwcv | Self::Dev)
    }

    /// The score with the default settings ([`ValidatorConfig::new`]). Higher is better.
    ///
    /// # Errors
    ///
    /// As [`score_with`](Self::score_with).
    pub fn score<B: Backend>(self, inputs: &ValidationInputs<B>) -> Result<f64, ValidateError> {
        self.score_with(inputs, &ValidatorConfig::new())
    }

    /// The score with the given settings. Higher is better.
    ///
    /// # Errors
    ///
    /// - [`ValidateError::InvalidTemperature`], [`ValidateError::NoIterations`],
    ///   [`ValidateError::InvalidL2`] for bad settings;
    /// - [`ValidateError::TooFewRows`] for fewer than two target rows (SND) or two rows a
    ///   domain (IWCV, DEV).
    pub fn score_with<B: Backend>(
        self,
        inputs: &ValidationInputs<B>,
        config: &ValidatorConfig,
    ) -> Result<f64, ValidateError> {
        if inputs.source_values.is_some() && !self.uses_source() {
            return Err(ValidateError::NeedsClasses {
                validator: self.name(),
            });
        }
        match self {
            Self::Entropy => entropy_score(&inputs.target_logits),
            Self::Im => information_maximization(&inputs.target_logits),
            Self::Snd => match config.snd_space {
                SndSpace::Probabilities => snd_score(&inputs.target_logits, config.snd_temperature),
                SndSpace::Features => {
                    soft_neighbourhood_density(&inputs.target_features, config.snd_temperature)
                }
            },
            Self::Iwcv | Self::Dev => {
                let weights = cross_fitted_density_ratios(
                    &inputs.source_features,
                    &inputs.target_features,
                    &config.domain_classifier,
                )?;
                let losses = match &inputs.source_values {
                    Some(values) => squared_errors(&inputs.source_logits, values),
                    None => cross_entropies(&inputs.source_logits, &inputs.source_labels)?,
                };
                let risk = if self == Self::Iwcv {
                    iwcv_risk(&losses, &weights)?
                } else {
                    dev_risk(&losses, &weights)?
                };
                Ok(-risk)
            }
        }
    }
}

impl Default for Validator {
    /// [`Im`](Self::Im): the validator the label-free choice uses unless told otherwise, by
    /// its rank correlation and regret on the robustness suite (docs/design.md).
    fn default() -> Self {
        Self::Im
    }
}

impl fmt::Display for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Validator {
    type Err = ValidateError;

    /// Reads a [`name`](Validator::name), ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ValidateError::UnknownValidator(s.to_owned()))
    }
}
