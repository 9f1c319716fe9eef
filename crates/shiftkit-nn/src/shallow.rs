use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;
use burn::tensor::backend::Backend;

use crate::encoder::{Encoder, linear_head};
use crate::error::{NnError, check_size};
use crate::init::materialize;

/// Configuration of a [`ShallowEncoder`].
///
/// The defaults give the network of the DANN paper's two-moons experiment: 2 inputs, one hidden
/// layer of 15 sigmoid units, 2 classes.
#[derive(Config, Debug, PartialEq)]
pub struct ShallowEncoderConfig {
    /// Width of each input row (2 for points in the plane).
    #[config(default = 2)]
    pub input_dim: usize,
    /// Width of the hidden layer, which is the feature layer `z`.
    #[config(default = 15)]
    pub latent_dim: usize,
    /// Number of classes the head predicts.
    #[config(default = 2)]
    pub num_classes: usize,
}

impl ShallowEncoderConfig {
    /// Builds the encoder, drawing its weights from the backend's random generator (call
    /// `B::seed(&device, seed)` first for reproducible weights).
    ///
    /// # Errors
    ///
    /// [`NnError::ZeroSize`] when `input_dim`, `latent_dim` or `num_classes` is zero.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<ShallowEncoder<B>, NnError> {
        let input_dim = check_size(self.input_dim, "input_dim")?;
        let latent_dim = check_size(self.latent_dim, "latent_dim")?;
        let num_classes = check_size(self.num_classes, "num_classes")?;

        Ok(materialize(ShallowEncoder {
            hidden: LinearConfig::new(input_dim, latent_dim).init(device),
            classifier: LinearConfig::new(latent_dim, num_classes).init(device),
            latent_dim,
            num_classes,
        }))
    }
}

/// The shallow network of the DANN paper (Ganin et al., JMLR 2016, the toy problem of
/// section 5.1), for 2-D data such as the two inter-twinning moons.
///
/// ```text
/// encode:   x -> Linear(input_dim, latent_dim) - sigmoid = z
/// classify: z -> Linear(latent_dim, num_classes) -> logits
/// ```
///
/// The hidden layer is the feature layer. Its activation is the **sigmoid**, as in the paper:
/// this network exists to reproduce that experiment, and its decision boundaries and feature
/// plots are only comparable with the same activation. (A ReLU network of your own can take its
/// place through the [`Encoder`] trait.) Features therefore lie in `(0, 1)`.
///
/// It has no dropout and no batch norm, so training and evaluation modes compute the same
/// function.
///
/// Built by [`ShallowEncoderConfig::init`].
#[derive(Module, Debug)]
pub struct ShallowEncoder<B: Backend> {
    hidden: Linear<B>,
    classifier: Linear<B>,
    latent_dim: usize,
    num_classes: usize,
}

impl<B: Backend> Encoder<B> for ShallowEncoder<B> {
    type Input = Tensor<B, 2>;

    /// The hidden-layer activations of a batch of points.
    ///
    /// # Shapes
    ///
    /// - input: `[N, input_dim]`
    /// - output: `[N, latent_dim]`, values in `(0, 1)`
    ///
    /// # Panics
    ///
    /// When the width of the input is not `input_dim` (Burn's matrix product checks it).
    fn encode(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        sigmoid(self.hidden.forward(input))
    }

    linear_head!();

    fn input_dims(&self) -> Option<Vec<usize>> {
        Some(vec![self.hidden.weight.dims()[0]])
    }
}
