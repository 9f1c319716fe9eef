//! DAN's multi-kernel MMD term.

use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::{MmdConfig, mmd2};

use super::{AdaptationTerm, TermInputs, TermOutput};
use crate::TrainError;
use crate::check::check_non_negative;

/// Deep adaptation by kernel mean matching (DAN, Long et al., ICML 2015): the squared maximum
/// mean discrepancy between the source and target features under a mean of Gaussian kernels,
/// [`shiftkit_align::mmd2`] (unbiased by default):
///
/// ```text
/// L = MMD²(z_s, z_t),   k(x, y) = 1/|S| sum_{sigma in S} exp(-||x - y||² / (2 sigma²))
/// ```
///
/// Constant weight. Its mean fills `mmd_loss` in the history.
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
