use burn::config::Config;
use burn::tensor::backend::Backend;

use crate::aligner::CentroidAligner;
use crate::error::{AlignError, check_hyper};
use crate::start::CentroidStart;
use crate::state::CentroidState;

/// Configuration of a [`CentroidAligner`].
///
/// ```
/// use burn::backend::NdArray;
/// use shiftkit_align::CentroidAlignerConfig;
///
/// let aligner = CentroidAlignerConfig::new(10, 64)
///     .with_momentum(0.3)
///     .init::<NdArray>(&Default::default())
///     .unwrap();
/// assert_eq!(aligner.num_classes(), 10);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct CentroidAlignerConfig {
    /// Number of classes `K`, at least 2.
    pub num_classes: usize,
    /// Width `d` of the features being aligned, at least 1.
    pub latent_dim: usize,
    /// `beta`, the weight of the *new* batch mean in the target-centroid moving average:
    /// `c_k <- (1 - beta) c_k + beta m_k`. Must lie in `(0, 1]`; `1` keeps no history.
    #[config(default = 0.1)]
    pub momentum: f64,
    /// How a target centroid starts and which classes the loss averages over.
    #[config(default = "CentroidStart::FirstSighting")]
    pub start: CentroidStart,
}

impl CentroidAlignerConfig {
    /// Checks every hyper-parameter: the one validation of an aligner's settings, used by
    /// [`init`](Self::init) and by trainers that hold this configuration.
    ///
    /// # Errors
    ///
    /// [`AlignError::TooFewClasses`], [`AlignError::InvalidLatentDim`] or
    /// [`AlignError::InvalidMomentum`].
    pub fn check(&self) -> Result<(), AlignError> {
        check_hyper(self.num_classes, self.latent_dim, self.momentum)
    }

    /// Builds an aligner whose target centroids are all unseen (stored as zeros, never used
    /// before their first sighting).
    ///
    /// # Errors
    ///
    /// [`AlignError::TooFewClasses`], [`AlignError::InvalidLatentDim`] or
    /// [`AlignError::InvalidMomentum`] for an out-of-range field.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<CentroidAligner<B>, AlignError> {
        self.check()?;
        Ok(CentroidAligner::from_parts(
            self.num_classes,
            self.latent_dim,
            self.momentum,
            self.start,
            CentroidState::unseen(self.num_classes, self.latent_dim, device),
        ))
    }
}
