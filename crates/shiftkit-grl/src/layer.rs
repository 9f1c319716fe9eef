use burn::config::Config;
use burn::module::Module;
use burn::tensor::Tensor;

use crate::GradientReversalBackend;
use crate::error::{GrlError, check_alpha};
use crate::op::reverse_unchecked;

/// Configuration of a [`GradientReversalLayer`].
#[derive(Config, Debug, PartialEq)]
pub struct GradientReversalConfig {
    /// Strength of the reversal: the backward pass multiplies gradients by `-alpha`.
    #[config(default = 1.0)]
    pub alpha: f64,
}

impl GradientReversalConfig {
    /// Builds the layer.
    ///
    /// # Errors
    ///
    /// [`GrlError::NonFiniteAlpha`] when `alpha` is NaN or infinite.
    pub fn init(&self) -> Result<GradientReversalLayer, GrlError> {
        Ok(GradientReversalLayer {
            alpha: check_alpha(self.alpha)?,
        })
    }
}

/// The Gradient Reversal Layer: identity forward, gradient times `-alpha` backward.
///
/// It has no parameters. Its `alpha` is plain state that the training loop sets between steps
/// (for instance from a schedule) with [`set_alpha`](Self::set_alpha); nothing changes it as a
/// side effect of [`forward`](Self::forward).
#[derive(Module, Clone, Debug)]
pub struct GradientReversalLayer {
    alpha: f64,
}

impl GradientReversalLayer {
    /// The current reversal strength.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Sets the reversal strength for the following forward passes.
    ///
    /// # Errors
    ///
    /// [`GrlError::NonFiniteAlpha`] when `alpha` is NaN or infinite; the layer keeps its
    /// previous value.
    pub fn set_alpha(&mut self, alpha: f64) -> Result<(), GrlError> {
        self.alpha = check_alpha(alpha)?;
        Ok(())
    }

    /// Applies the reversal. On a backend without autodiff this is the identity.
    ///
    /// # Shapes
    ///
    /// - input: any shape `[d_1, ..., d_D]`
    /// - output: the same shape, the same values
    pub fn forward<B: GradientReversalBackend, const D: usize>(
        &self,
        x: Tensor<B, D>,
    ) -> Tensor<B, D> {
        reverse_unchecked(x, self.alpha)
    }
}

impl Default for GradientReversalLayer {
    fn default() -> Self {
        Self { alpha: 1.0 }
    }
}
