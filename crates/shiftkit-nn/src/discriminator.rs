use burn::config::Config;
use burn::module::Module;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

use crate::dropout::{DropoutMasks, MaskDropout};
use crate::error::{NnError, check_dropout, check_size};
use crate::init::materialize;

/// Configuration of a [`DomainDiscriminator`].
///
/// The defaults give ShiftKit's discriminator, `Linear(latent_dim, 128) - ReLU - Linear(128, 1)`.
/// The DANN paper's Office set-up is `with_hidden_layers(2).with_hidden_dim(1024)`;
/// Transfer-Learning-Library's `DomainDiscriminator` adds `with_batch_norm(true)` (or, without
/// batch norm, `with_dropout(0.5)`).
#[derive(Config, Debug, PartialEq)]
pub struct DomainDiscriminatorConfig {
    /// Width of the features it reads: the encoder's [`latent_dim`](crate::Encoder::latent_dim).
    pub latent_dim: usize,
    /// Width of each hidden layer.
    #[config(default = 128)]
    pub hidden_dim: usize,
    /// Number of hidden layers. Zero gives a linear discriminator (logistic regression on the
    /// features), the domain regressor of the DANN paper's shallow network.
    #[config(default = 1)]
    pub hidden_layers: usize,
    /// Dropout probability after each hidden activation, in `[0, 1)`; 0 disables it.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Where dropout draws its masks: on the host (fast on the CPU backends) or with the
    /// backend's sampler (the choice on a GPU); `Auto` picks by the backend at `init`.
    #[config(default = "DropoutMasks::Auto")]
    pub dropout_masks: DropoutMasks,
    /// Whether each hidden layer is batch-normalised between its linear map and its ReLU.
    #[config(default = false)]
    pub batch_norm: bool,
}

impl DomainDiscriminatorConfig {
    /// Checks every setting: the one validation of a discriminator's configuration, used by
    /// [`init`](Self::init) and by trainers that hold this configuration.
    ///
    /// # Errors
    ///
    /// As [`init`](Self::init).
    pub fn check(&self) -> Result<(), NnError> {
        check_size(self.latent_dim, "latent_dim")?;
        check_size(self.hidden_dim, "hidden_dim")?;
        let dropout = check_dropout(self.dropout)?;
        if self.hidden_layers == 0 {
            if dropout > 0.0 {
                return Err(NnError::NoHiddenLayer { option: "dropout" });
            }
            if self.batch_norm {
                return Err(NnError::NoHiddenLayer {
                    option: "batch_norm",
                });
            }
        }
        Ok(())
    }

    /// Builds the discriminator, drawing its weights from the backend's random generator (call
    /// `B::seed(&device, seed)` first for reproducible weights).
    ///
    /// # Errors
    ///
    /// - [`NnError::ZeroSize`] when `latent_dim` or `hidden_dim` is zero.
    /// - [`NnError::InvalidDropout`] when `dropout` is outside `[0, 1)`.
    /// - [`NnError::NoHiddenLayer`] when `hidden_layers` is zero but `dropout` is positive or
    ///   `batch_norm` is set.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<DomainDiscriminator<B>, NnError> {
        self.check()?;
        let (latent_dim, hidden_dim, dropout) = (self.latent_dim, self.hidden_dim, self.dropout);

        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        let mut width = latent_dim;
        for _ in 0..self.hidden_layers {
            hidden.push(LinearConfig::new(width, hidden_dim).init(device));
            if self.batch_norm {
                norms.push(BatchNormConfig::new(hidden_dim).init(device));
            }
            width = hidden_dim;
        }
        let output = LinearConfig::new(width, 1).init(device);

        Ok(materialize(DomainDiscriminator {
            hidden,
            norms,
            dropout: MaskDropout::new(dropout, self.dropout_masks.resolve::<B>(device))?,
            output,
            latent_dim,
        }))
    }
}

/// The domain classifier of DANN: one logit per feature row, high for one domain, low for the
/// other.
///
/// Architecture: `hidden_layers` blocks of `Linear - [BatchNorm] - ReLU - [Dropout]`, then
/// `Linear(·, 1)`. It returns logits, not probabilities: pair it with a loss that takes logits
/// (for instance Burn's `BinaryCrossEntropyLossConfig::new().with_logits(true)`), which is
/// numerically safer than a sigmoid followed by a log.
///
/// It is a plain module and can be used without the rest of shiftkit. In DANN it sits behind a
/// gradient reversal layer, `discriminator.forward(grl.forward(encoder.encode(x)))`.
///
/// Training and evaluation modes follow Burn's convention: on an autodiff backend dropout is
/// active and batch norm normalises with the batch's statistics (and updates its running
/// statistics); on the inner backend, after `valid()`, dropout is off and batch norm uses the
/// running statistics.
///
/// Built by [`DomainDiscriminatorConfig::init`].
#[derive(Module, Debug)]
pub struct DomainDiscriminator<B: Backend> {
    hidden: Vec<Linear<B>>,
    /// One per hidden layer when batch norm is on, empty otherwise.
    norms: Vec<BatchNorm<B>>,
    dropout: MaskDropout,
    output: Linear<B>,
    latent_dim: usize,
}

impl<B: Backend> DomainDiscriminator<B> {
    /// The domain logit of each row of `z`.
    ///
    /// # Shapes
    ///
    /// - z: `[N, latent_dim]`
    /// - output: `[N]`, one logit per row, ready for a binary cross-entropy on logits
    ///
    /// # Panics
    ///
    /// When the width of `z` is not [`latent_dim`](Self::latent_dim) (Burn's matrix product
    /// checks it).
    pub fn forward(&self, z: Tensor<B, 2>) -> Tensor<B, 1> {
        let mut x = z;
        for (index, linear) in self.hidden.iter().enumerate() {
            x = linear.forward(x);
            if let Some(norm) = self.norms.get(index) {
                x = norm.forward(x);
            }
            x = self.dropout.forward(relu(x));
        }
        let [rows, _] = x.dims();
        // [N, 1] -> [N]: a change of shape metadata, not a copy.
        self.output.forward(x).reshape([rows])
    }

    /// The width of the features the discriminator reads; a trainer checks it against the
    /// encoder's [`latent_dim`](crate::Encoder::latent_dim).
    pub fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    /// The number of hidden layers.
    pub fn hidden_layers(&self) -> usize {
        self.hidden.len()
    }
}
