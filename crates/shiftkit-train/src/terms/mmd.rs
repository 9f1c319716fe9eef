//! DAN's multi-kernel MMD term.

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::{MmdConfig, mmd2};

use super::{AdaptationTerm, TermInputs, TermOutput};
use crate::TrainError;
use crate::check::check_non_negative;

/// The configuration of [`MeanDiscrepancy`]: its weight and kernels.
#[derive(Config, Debug, PartialEq)]
pub struct MeanDiscrepancyConfig {
    /// The weight (DAN's trade-off of 1).
    #[config(default = 1.0)]
    pub weight: f64,
    /// The kernels and the estimator.
    #[config(default = "MmdConfig::new()")]
    pub kernels: MmdConfig,
}

impl MeanDiscrepancyConfig {
    /// Checks the weight and the kernels.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `mmd_weight`; [`TrainError::Alignment`] for
    /// bad bandwidths.
    pub fn check(&self) -> Result<(), TrainError> {
        check_non_negative("mmd_weight", self.weight)?;
        Ok(self.kernels.check()?)
    }

    /// The term.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds.
    pub fn init(&self) -> Result<MeanDiscrepancy, TrainError> {
        MeanDiscrepancy::new(self.weight, self.kernels.clone())
    }
}

/// Deep adaptation by kernel mean matching (DAN, Long et al., ICML 2015): the squared maximum
/// mean discrepancy between the source and target features under a mean of Gaussian kernels,
/// [`shiftkit_align::mmd2`] (unbiased by default):
///
/// ```text
/// L = MMD²(z_s, z_t),   k(x, y) = 1/|S| sum_{sigma in S} exp(-||x - y||² / (2 sigma²))
/// ```
///
/// Constant weight; reported under `"mmd"` (`mmd_loss` in the serialised history).
#[derive(Debug)]
pub struct MeanDiscrepancy {
    weight: f64,
    config: MmdConfig,
}

impl MeanDiscrepancy {
    /// The term with weight `weight` and kernels `config`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a bad weight; [`TrainError::Alignment`] for
    /// bad bandwidths.
    pub fn new(weight: f64, config: MmdConfig) -> Result<Self, TrainError> {
        check_non_negative("mmd_weight", weight)?;
        config.check()?;
        Ok(Self { weight, config })
    }
}

impl<B: AutodiffBackend> AdaptationTerm<B> for MeanDiscrepancy {
    fn name(&self) -> &str {
        "mmd"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let loss = mmd2(
            inputs.source_features.clone(),
            inputs.target_features.clone(),
            &self.config,
        )?;
        Ok(TermOutput::loss(loss))
    }
}
