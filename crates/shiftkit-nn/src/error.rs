use thiserror::Error;

/// Why a network of this crate could not be built from its configuration.
///
/// Every `init` of this crate checks its configuration first and returns the first problem it
/// finds; nothing is allocated for a configuration that is refused. Each variant carries the
/// offending value (or, for a size that is zero, the name of the field that holds it).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NnError {
    /// A layer width, channel count, input size or class count was zero. `what` is the name of
    /// the configuration field, for example `"latent_dim"` or `"hidden_dims"`.
    #[error("`{what}` must be at least 1, got 0")]
    ZeroSize {
        /// The configuration field that holds the zero.
        what: &'static str,
    },

    /// A batch's inputs are not of the shape the encoder takes (dimensions after the batch
    /// dimension).
    #[error(
        "inputs of shape {found:?} (after the batch dimension), the encoder takes {expected:?}"
    )]
    InputShape {
        /// What the encoder takes.
        expected: Vec<usize>,
        /// What the batch has.
        found: Vec<usize>,
    },

    /// A dropout probability was outside `[0, 1)` or NaN. A probability of 1 would drop every
    /// unit and divide by zero when rescaling.
    #[error("a dropout probability must lie in [0, 1), got {0}")]
    InvalidDropout(f64),

    /// The images are too small for the convolutional encoder: its two 2x2 max-pools need a
    /// height and a width of at least 4.
    #[error("images must be at least 4x4 for two 2x2 max-pools, got {height}x{width}")]
    ImageTooSmall {
        /// The configured image height.
        height: usize,
        /// The configured image width.
        width: usize,
    },

    /// The images are too small for a ResNet, whose backbone divides them by 32.
    #[error(
        "a ResNet's images must be at least 32x32 (its backbone divides them by 32), got {height}x{width}"
    )]
    ResNetImageTooSmall {
        /// The configured image height.
        height: usize,
        /// The configured image width.
        width: usize,
    },

    /// Pretrained weights could not be loaded into a ResNet (feature `pretrained`).
    #[cfg(feature = "pretrained")]
    #[error(transparent)]
    Weights(Box<crate::resnet::WeightsError>),

    /// A size derived from the configuration (for example the number of features after
    /// flattening the convolutional maps) does not fit in a `usize`.
    #[error("`{what}` is too large: the derived size overflows usize")]
    SizeOverflow {
        /// The configuration field whose value is too large.
        what: &'static str,
    },

    /// Dropout or batch norm was requested for a discriminator without hidden layers, where
    /// there is no hidden activation to apply it to. `option` is `"dropout"` or `"batch_norm"`.
    #[error("`{option}` needs at least one hidden layer in the discriminator")]
    NoHiddenLayer {
        /// The option that has nothing to act on.
        option: &'static str,
    },
}

#[cfg(feature = "pretrained")]
impl From<crate::resnet::WeightsError> for NnError {
    fn from(error: crate::resnet::WeightsError) -> Self {
        Self::Weights(Box::new(error))
    }
}

/// Checks that a size is not zero.
pub(crate) fn check_size(value: usize, what: &'static str) -> Result<usize, NnError> {
    if value == 0 {
        Err(NnError::ZeroSize { what })
    } else {
        Ok(value)
    }
}

/// Checks that a dropout probability lies in `[0, 1)`; NaN is refused.
pub(crate) fn check_dropout(prob: f64) -> Result<f64, NnError> {
    if (0.0..1.0).contains(&prob) {
        Ok(prob)
    } else {
        Err(NnError::InvalidDropout(prob))
    }
}
