use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};

use crate::lowering::{
    BatchStatistics, ConvAlgorithm, LoweringBackend, channel_major, conv_block, dense,
    update_running,
};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

use crate::dropout::{DropoutMasks, MaskDraw, MaskDropout};
use crate::encoder::{Encoder, linear_head};
use crate::error::{NnError, check_dropout, check_size};
use crate::init::materialize;
use crate::parallel;

/// Configuration of a [`CnnEncoder`].
///
/// The defaults give ShiftKit's CNN for 1x28x28 images: two blocks of 3x3 convolutions with 32
/// and 64 channels, a 256-unit dense layer, 128 features and a linear head to 10 classes.
#[derive(Config, Debug, PartialEq)]
pub struct CnnEncoderConfig {
    /// Channels of the input images (1 for greyscale).
    #[config(default = 1)]
    pub in_channels: usize,
    /// Height and width of the input images, `[height, width]`; each must be at least 4.
    #[config(default = "[28, 28]")]
    pub image_size: [usize; 2],
    /// Output channels of the first and second convolution.
    #[config(default = "[32, 64]")]
    pub conv_channels: [usize; 2],
    /// Width of the dense layer between the flattened maps and the features.
    #[config(default = 256)]
    pub hidden_dim: usize,
    /// Width of the features `z`.
    #[config(default = 128)]
    pub latent_dim: usize,
    /// Number of classes the head predicts.
    #[config(default = 10)]
    pub num_classes: usize,
    /// Dropout probability after the dense layer's ReLU, in `[0, 1)`; 0 disables it.
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Where dropout draws its masks: on the host (fast on the CPU backends) or with the
    /// backend's sampler (the choice on a GPU); `Auto` picks by the backend at `init`.
    #[config(default = "DropoutMasks::Auto")]
    pub dropout_masks: DropoutMasks,
    /// How the convolutions are computed: the same function either way (a test checks it),
    /// at very different speeds depending on the backend; `Auto` picks by the backend at
    /// `init`.
    #[config(default = "ConvAlgorithm::Auto")]
    pub conv_algorithm: ConvAlgorithm,
}

impl CnnEncoderConfig {
    /// Builds the encoder, drawing its weights from the backend's random generator (call
    /// `B::seed(&device, seed)` first for reproducible weights).
    ///
    /// # Errors
    ///
    /// - [`NnError::ZeroSize`] when `in_channels`, a value of `conv_channels`, `hidden_dim`,
    ///   `latent_dim` or `num_classes` is zero.
    /// - [`NnError::ImageTooSmall`] when the height or the width is below 4.
    /// - [`NnError::SizeOverflow`] when the flattened feature maps would have more than
    ///   `usize::MAX` entries per image.
    /// - [`NnError::InvalidDropout`] when `dropout` is outside `[0, 1)`.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<CnnEncoder<B>, NnError> {
        let in_channels = check_size(self.in_channels, "in_channels")?;
        let [height, width] = self.image_size;
        if height < 4 || width < 4 {
            return Err(NnError::ImageTooSmall { height, width });
        }
        let [channels_1, channels_2] = self.conv_channels;
        check_size(channels_1, "conv_channels")?;
        check_size(channels_2, "conv_channels")?;
        let hidden_dim = check_size(self.hidden_dim, "hidden_dim")?;
        let latent_dim = check_size(self.latent_dim, "latent_dim")?;
        let num_classes = check_size(self.num_classes, "num_classes")?;
        let dropout = check_dropout(self.dropout)?;
        // Padded 3x3 convolutions keep the size; each 2x2 max-pool halves it, rounding down.
        let flat_dim = channels_2
            .checked_mul(height / 4)
            .and_then(|n| n.checked_mul(width / 4))
            .ok_or(NnError::SizeOverflow { what: "image_size" })?;

        let conv = |channels: [usize; 2]| {
            Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };

        Ok(materialize(CnnEncoder {
            conv1: conv([in_channels, channels_1]),
            norm1: BatchNormConfig::new(channels_1).init(device),
            conv2: conv([channels_1, channels_2]),
            norm2: BatchNormConfig::new(channels_2).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dense: LinearConfig::new(flat_dim, hidden_dim).init(device),
            latent: LinearConfig::new(hidden_dim, latent_dim).init(device),
            classifier: LinearConfig::new(latent_dim, num_classes).init(device),
            dropout: MaskDropout::new(dropout, self.dropout_masks.resolve::<B>(device))?,
            latent_dim,
            num_classes,
            image: [in_channels, self.image_size[0], self.image_size[1]],
            conv_algorithm: self.conv_algorithm.resolve::<B>(device),
        }))
    }
}

/// ShiftKit's reference convolutional encoder for small images (1x28x28 by default).
///
/// ```text
/// encode:   x -> Conv 3x3 (pad 1) - BatchNorm - ReLU - MaxPool 2
///             -> Conv 3x3 (pad 1) - BatchNorm - ReLU - MaxPool 2
///             -> flatten -> Linear - ReLU - Dropout -> Linear - ReLU = z
/// classify: z -> Linear -> logits
/// ```
///
/// Training and evaluation modes follow Burn's convention. On an autodiff backend (training)
/// dropout is active and batch norm normalises with the batch's own statistics, updating its
/// running statistics as a side effect of every `encode`, target batches included. On the inner
/// backend after `valid()` (evaluation), dropout is off and batch norm uses the running
/// statistics, so outputs are deterministic and rows do not influence each other.
///
/// Built by [`CnnEncoderConfig::init`].
#[derive(Module, Debug)]
pub struct CnnEncoder<B: Backend> {
    conv1: Conv2d<B>,
    norm1: BatchNorm<B>,
    conv2: Conv2d<B>,
    norm2: BatchNorm<B>,
    pool: MaxPool2d,
    dense: Linear<B>,
    latent: Linear<B>,
    classifier: Linear<B>,
    dropout: MaskDropout,
    latent_dim: usize,
    num_classes: usize,
    /// `[channels, height, width]` of one input image.
    image: [usize; 3],
    conv_algorithm: ConvAlgorithm,
}

impl<B: LoweringBackend> CnnEncoder<B> {
    /// `encode` with its dropout mask drawn ahead; the lowered blocks' batch statistics (in
    /// training) come back instead of being folded into the running ones.
    fn encode_drawn(
        &self,
        input: Tensor<B, 4>,
        draw: MaskDraw,
    ) -> (Tensor<B, 2>, Vec<BatchStatistics>) {
        let (x, statistics) = match self.conv_algorithm {
            ConvAlgorithm::Im2col => {
                let (x, first) = conv_block(&self.conv1, &self.norm1, channel_major(input), false);
                let (x, second) = conv_block(&self.conv2, &self.norm2, x, true);
                (x, first.into_iter().chain(second).collect())
            }
            // `init` resolves `Auto`; it never reaches a built encoder.
            ConvAlgorithm::Backend | ConvAlgorithm::Auto => {
                // Burn's batch norm updates its running statistics itself.
                let block = |conv: &Conv2d<B>, norm: &BatchNorm<B>, x| {
                    self.pool.forward(relu(norm.forward(conv.forward(x))))
                };
                let x = block(&self.conv1, &self.norm1, input);
                (block(&self.conv2, &self.norm2, x), Vec::new())
            }
        };
        let x = self
            .dropout
            .forward_drawn(relu(dense(&self.dense, x.flatten::<2>(1, 3))), draw);
        (relu(dense(&self.latent, x)), statistics)
    }

    /// Folds the batch statistics of [`encode_drawn`](Self::encode_drawn) into the running
    /// ones, block by block.
    fn update_running(&self, statistics: &[BatchStatistics]) {
        for (norm, statistics) in [&self.norm1, &self.norm2].into_iter().zip(statistics) {
            update_running(norm, statistics);
        }
    }
}

impl<B: LoweringBackend> Encoder<B> for CnnEncoder<B> {
    type Input = Tensor<B, 4>;

    /// The features of a batch of images.
    ///
    /// # Shapes
    ///
    /// - input: `[N, in_channels, height, width]`
    /// - output: `[N, latent_dim]`
    ///
    /// # Panics
    ///
    /// When the channels or the image size differ from the configuration (Burn's convolution
    /// or matrix product checks them).
    fn encode(&self, input: Tensor<B, 4>) -> Tensor<B, 2> {
        let draw = self.dropout.draw::<B>(&input.device());
        let (z, statistics) = self.encode_drawn(input, draw);
        self.update_running(&statistics);
        z
    }

    /// On the CPU path (lowered convolutions, host dropout masks), the target's pass runs on a
    /// second thread: its dropout seed is drawn first (after the source's, as in two calls of
    /// `encode`) and both passes' batch statistics are folded into the running ones afterwards,
    /// source first. Elsewhere, the two passes one after the other.
    fn encode_pair(
        &self,
        source: Tensor<B, 4>,
        fork: &Self,
        target: Tensor<B, 4>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let device = source.device();
        let draw_s = self.dropout.draw::<B>(&device);
        let draw_t = fork.dropout.draw::<B>(&device);
        let parallel = self.conv_algorithm == ConvAlgorithm::Im2col && draw_t != MaskDraw::Backend;
        let ((z_s, statistics_s), (z_t, statistics_t)) = if parallel {
            let fork = fork.clone();
            parallel::join(
                || self.encode_drawn(source, draw_s),
                move || fork.encode_drawn(target, draw_t),
            )
        } else {
            let source = self.encode_drawn(source, draw_s);
            self.update_running(&source.1);
            (source, fork.encode_drawn(target, draw_t))
        };
        if parallel {
            self.update_running(&statistics_s);
        }
        fork.update_running(&statistics_t);
        (z_s, z_t)
    }

    linear_head!();

    fn input_dims(&self) -> Option<Vec<usize>> {
        Some(self.image.to_vec())
    }
}
