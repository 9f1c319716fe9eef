use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

use crate::dropout::{DropoutMasks, MaskDraw, MaskDropout};
use crate::encoder::{Encoder, linear_head};
use crate::error::{NnError, check_dropout, check_size};
use crate::init::materialize;
use crate::lowering::{LoweringBackend, dense};
use crate::parallel;

/// Configuration of an [`MlpEncoder`].
///
/// The defaults give ShiftKit's MLP for flattened 28x28 images:
/// `784 -> 512 -> 256 -> 128` with a linear head to 10 classes.
#[derive(Config, Debug, PartialEq)]
pub struct MlpEncoderConfig {
    /// Width of each input row (784 for a flattened 28x28 image).
    #[config(default = 784)]
    pub input_dim: usize,
    /// Widths of the hidden layers, in order. May be empty: the input then maps straight to the
    /// latent layer.
    #[config(default = "vec![512, 256]")]
    pub hidden_dims: Vec<usize>,
    /// Width of the features `z`.
    #[config(default = 128)]
    pub latent_dim: usize,
    /// Number of classes the head predicts.
    #[config(default = 10)]
    pub num_classes: usize,
    /// Dropout probability after each hidden layer's ReLU, in `[0, 1)`; 0 disables it.
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Where dropout draws its masks: on the host (fast on the CPU backends) or with the
    /// backend's sampler (the choice on a GPU); `Auto` picks by the backend at `init`.
    #[config(default = "DropoutMasks::Auto")]
    pub dropout_masks: DropoutMasks,
}

impl MlpEncoderConfig {
    /// Builds the encoder, drawing its weights from the backend's random generator (call
    /// `B::seed(&device, seed)` first for reproducible weights).
    ///
    /// # Errors
    ///
    /// - [`NnError::ZeroSize`] when `input_dim`, a width in `hidden_dims`, `latent_dim` or
    ///   `num_classes` is zero.
    /// - [`NnError::InvalidDropout`] when `dropout` is outside `[0, 1)`.
    /// - [`NnError::NoHiddenLayer`] when `dropout` is positive but `hidden_dims` is empty.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<MlpEncoder<B>, NnError> {
        let input_dim = check_size(self.input_dim, "input_dim")?;
        for &width in &self.hidden_dims {
            check_size(width, "hidden_dims")?;
        }
        let latent_dim = check_size(self.latent_dim, "latent_dim")?;
        let num_classes = check_size(self.num_classes, "num_classes")?;
        let dropout = check_dropout(self.dropout)?;
        if self.hidden_dims.is_empty() && dropout > 0.0 {
            // Dropout acts after hidden layers only: without one it would be ignored.
            return Err(NnError::NoHiddenLayer { option: "dropout" });
        }

        let mut width = input_dim;
        let hidden = self
            .hidden_dims
            .iter()
            .map(|&next| {
                let layer = LinearConfig::new(width, next).init(device);
                width = next;
                layer
            })
            .collect();
        let latent = LinearConfig::new(width, latent_dim).init(device);
        let classifier = LinearConfig::new(latent_dim, num_classes).init(device);

        Ok(materialize(MlpEncoder {
            hidden,
            latent,
            classifier,
            dropout: MaskDropout::new(dropout, self.dropout_masks.resolve::<B>(device))?,
            latent_dim,
            num_classes,
        }))
    }
}

/// ShiftKit's reference MLP encoder for flat inputs.
///
/// ```text
/// encode:   x -> [Linear - ReLU - Dropout] per hidden layer -> Linear - ReLU = z
/// classify: z -> Linear -> logits
/// ```
///
/// The latent features pass through a ReLU, so they are non-negative. Dropout is active on an
/// autodiff backend (training) and off on the inner backend after `valid()` (evaluation).
///
/// Built by [`MlpEncoderConfig::init`].
#[derive(Module, Debug)]
pub struct MlpEncoder<B: Backend> {
    hidden: Vec<Linear<B>>,
    latent: Linear<B>,
    classifier: Linear<B>,
    dropout: MaskDropout,
    latent_dim: usize,
    num_classes: usize,
}

impl<B: LoweringBackend> MlpEncoder<B> {
    /// The dropout draws of one pass, one per hidden layer, in the order `encode` takes them.
    fn draws(&self, device: &B::Device) -> Vec<MaskDraw> {
        self.hidden
            .iter()
            .map(|_| self.dropout.draw::<B>(device))
            .collect()
    }

    /// The features of `input` with the dropout draws `draws` (see [`Self::draws`]).
    fn encode_drawn(&self, input: Tensor<B, 2>, draws: Vec<MaskDraw>) -> Tensor<B, 2> {
        let mut x = input;
        for (layer, draw) in self.hidden.iter().zip(draws) {
            x = self.dropout.forward_drawn(relu(dense(layer, x)), draw);
        }
        relu(dense(&self.latent, x))
    }
}

impl<B: LoweringBackend> Encoder<B> for MlpEncoder<B> {
    type Input = Tensor<B, 2>;

    /// The features of a batch of flat inputs.
    ///
    /// # Shapes
    ///
    /// - input: `[N, input_dim]`
    /// - output: `[N, latent_dim]`
    ///
    /// # Panics
    ///
    /// When the width of the input is not `input_dim` (Burn's matrix product checks it).
    fn encode(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        let draws = self.draws(&input.device());
        self.encode_drawn(input, draws)
    }

    /// On a host-memory backend with host dropout masks, the target's pass runs on a second
    /// thread: each pass's masks are drawn first, the source's then the target's, as in two
    /// calls of `encode`. Elsewhere, the two passes one after the other.
    fn encode_pair(
        &self,
        source: Tensor<B, 2>,
        fork: &Self,
        target: Tensor<B, 2>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let device = source.device();
        let draws_s = self.draws(&device);
        let draws_t = fork.draws(&device);
        let parallel = crate::host_backend::<B>(&device)
            && !draws_s
                .iter()
                .chain(&draws_t)
                .any(|d| *d == MaskDraw::Backend);
        if parallel {
            let fork = fork.clone();
            parallel::join(
                || self.encode_drawn(source, draws_s),
                move || fork.encode_drawn(target, draws_t),
            )
        } else {
            (
                self.encode_drawn(source, draws_s),
                fork.encode_drawn(target, draws_t),
            )
        }
    }

    linear_head!();

    fn input_dims(&self) -> Option<Vec<usize>> {
        let first = self.hidden.first().unwrap_or(&self.latent);
        Some(vec![first.weight.dims()[0]])
    }
}
