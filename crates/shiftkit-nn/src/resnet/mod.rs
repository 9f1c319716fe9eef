//! ResNet encoders (He et al., CVPR 2016) in torchvision's layout and parameter names, so that
//! torchvision's ImageNet weights load into them ([`ResNetEncoder::load_backbone`], feature
//! `pretrained`).
//!
//! The encoder is the backbone (stem, four stages of residual blocks, global average pool),
//! then, as in the domain-adaptation literature (tllib's `ImageClassifier`), an optional
//! bottleneck (linear, batch norm, ReLU; 256 wide by default) whose output is the features
//! `z`, and a linear head. Without the bottleneck `z` is the pooled backbone features.

mod block;
#[cfg(feature = "pretrained")]
mod weights;

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

pub use block::{Block, BlockKind, Downsample};
#[cfg(feature = "pretrained")]
pub use weights::{LoadReport, WeightsError};

use crate::encoder::{Encoder, linear_head};
use crate::error::{NnError, check_size};

/// Configuration of a [`ResNetEncoder`]. [`resnet18`](Self::resnet18),
/// [`resnet34`](Self::resnet34) and [`resnet50`](Self::resnet50) are torchvision's networks;
/// other depths and widths (a small network for a test) are the same architecture with
/// other `blocks` and `widths`.
#[derive(Config, Debug, PartialEq)]
pub struct ResNetConfig {
    /// The residual block the stages stack.
    pub block: BlockKind,
    /// Blocks in each of the four stages (`[2, 2, 2, 2]` for ResNet-18).
    pub blocks: [usize; 4],
    /// Each stage's width (torchvision: `[64, 128, 256, 512]`); the stem has the first.
    #[config(default = "[64, 128, 256, 512]")]
    pub widths: [usize; 4],
    /// Channels of the input images.
    #[config(default = 3)]
    pub in_channels: usize,
    /// Height and width of the input images, `[height, width]`; each at least 32 (the
    /// backbone divides them by 32).
    #[config(default = "[224, 224]")]
    pub image_size: [usize; 2],
    /// Width of the bottleneck between the pooled backbone features and `z`; `None` makes
    /// `z` the pooled features themselves.
    #[config(default = "Some(256)")]
    pub bottleneck: Option<usize>,
    /// Number of classes the head predicts.
    #[config(default = 10)]
    pub num_classes: usize,
}

impl ResNetConfig {
    /// torchvision's ResNet-18: basic blocks, `[2, 2, 2, 2]`, 512 pooled features.
    pub fn resnet18() -> Self {
        Self::new(BlockKind::Basic, [2, 2, 2, 2])
    }

    /// torchvision's ResNet-34: basic blocks, `[3, 4, 6, 3]`, 512 pooled features.
    pub fn resnet34() -> Self {
        Self::new(BlockKind::Basic, [3, 4, 6, 3])
    }

    /// torchvision's ResNet-50: bottleneck blocks, `[3, 4, 6, 3]`, 2048 pooled features.
    pub fn resnet50() -> Self {
        Self::new(BlockKind::Bottleneck, [3, 4, 6, 3])
    }

    /// One of the three by name: `"resnet18"`, `"resnet34"` or `"resnet50"`.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "resnet18" => Some(Self::resnet18()),
            "resnet34" => Some(Self::resnet34()),
            "resnet50" => Some(Self::resnet50()),
            _ => None,
        }
    }

    /// Width of the pooled backbone features: the last stage's width times the block's
    /// expansion (512 for ResNet-18 and -34, 2048 for ResNet-50).
    pub fn backbone_dim(&self) -> usize {
        self.widths[3] * self.block.expansion()
    }

    /// Builds the encoder with Burn's initialisation, drawn from the backend's generator
    /// (call `B::seed(&device, seed)` first for reproducible weights); torchvision's weights
    /// go in with [`ResNetEncoder::load_backbone`].
    ///
    /// # Errors
    ///
    /// - [`NnError::ZeroSize`] when `in_channels`, a value of `blocks` or `widths`, the
    ///   bottleneck's width or `num_classes` is zero.
    /// - [`NnError::ResNetImageTooSmall`] when the height or the width is below 32.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<ResNetEncoder<B>, NnError> {
        let in_channels = check_size(self.in_channels, "in_channels")?;
        for &n in &self.blocks {
            check_size(n, "blocks")?;
        }
        for &w in &self.widths {
            check_size(w, "widths")?;
        }
        let num_classes = check_size(self.num_classes, "num_classes")?;
        let [height, width] = self.image_size;
        if height < 32 || width < 32 {
            return Err(NnError::ResNetImageTooSmall { height, width });
        }
        let backbone_dim = self.backbone_dim();
        let bottleneck = match self.bottleneck {
            Some(dim) => Some(Bottleneck {
                linear: LinearConfig::new(backbone_dim, check_size(dim, "bottleneck")?)
                    .init(device),
                bn: BatchNormConfig::new(dim).init(device),
            }),
            None => None,
        };
        let latent_dim = self.bottleneck.unwrap_or(backbone_dim);

        let stem = self.widths[0];
        let mut inputs = stem;
        let mut stage = |index: usize| -> Vec<Block<B>> {
            let stride = if index == 0 { 1 } else { 2 };
            let width = self.widths[index];
            (0..self.blocks[index])
                .map(|i| {
                    let first = if i == 0 { stride } else { 1 };
                    let block = Block::new(self.block, inputs, width, first, device);
                    inputs = width * self.block.expansion();
                    block
                })
                .collect()
        };
        let backbone = Backbone {
            conv1: block::conv([in_channels, stem], 7, 2, device),
            bn1: block::norm(stem, device),
            maxpool: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            layer1: stage(0),
            layer2: stage(1),
            layer3: stage(2),
            layer4: stage(3),
            avgpool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
        };
        Ok(ResNetEncoder {
            backbone,
            bottleneck,
            classifier: LinearConfig::new(latent_dim, num_classes).init(device),
            input: [in_channels, height, width],
            latent_dim,
            num_classes,
            frozen: false,
        })
    }
}

/// The backbone, field for field torchvision's `ResNet` without its `fc`: `conv1`, `bn1`,
/// `layer1` to `layer4`.
#[derive(Module, Debug)]
pub struct Backbone<B: Backend> {
    conv1: Conv2d<B>,
    bn1: BatchNorm<B>,
    maxpool: MaxPool2d,
    layer1: Vec<Block<B>>,
    layer2: Vec<Block<B>>,
    layer3: Vec<Block<B>>,
    layer4: Vec<Block<B>>,
    avgpool: AdaptiveAvgPool2d,
}

impl<B: Backend> Backbone<B> {
    /// The pooled features of a batch of images (torchvision's `forward` up to `flatten`).
    ///
    /// # Shapes
    ///
    /// - x: `[N, C, H, W]`
    /// - output: `[N, backbone_dim]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = relu(self.bn1.forward(self.conv1.forward(x)));
        let mut x = self.maxpool.forward(x);
        for block in self
            .layer1
            .iter()
            .chain(&self.layer2)
            .chain(&self.layer3)
            .chain(&self.layer4)
        {
            x = block.forward(x);
        }
        let [n, c, _, _] = x.dims();
        self.avgpool.forward(x).reshape([n, c])
    }
}

/// The bottleneck between the pooled features and `z`: linear, batch norm, ReLU.
#[derive(Module, Debug)]
pub struct Bottleneck<B: Backend> {
    linear: Linear<B>,
    bn: BatchNorm<B>,
}

impl<B: Backend> Bottleneck<B> {
    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let y = self.linear.forward(x);
        let [n, d] = y.dims();
        // Burn's batch norm takes `[N, C, ...]`: a length-1 axis added, then removed.
        relu(self.bn.forward(y.reshape([n, d, 1]))).reshape([n, d])
    }
}

/// A ResNet encoder (see the [module](self)): `encode` is the backbone and the bottleneck,
/// `classify` the linear head.
#[derive(Module, Debug)]
pub struct ResNetEncoder<B: Backend> {
    backbone: Backbone<B>,
    bottleneck: Option<Bottleneck<B>>,
    classifier: Linear<B>,
    input: [usize; 3],
    latent_dim: usize,
    num_classes: usize,
    frozen: bool,
}

impl<B: Backend> ResNetEncoder<B> {
    /// The backbone, whose pooled features [`Backbone::forward`] gives.
    pub fn backbone(&self) -> &Backbone<B> {
        &self.backbone
    }

    /// The encoder with its backbone frozen: the backbone's parameters take no gradient and
    /// the pooled features are detached, so a training step updates the bottleneck and the
    /// head alone and its backward pass stops at the pooled features. The backbone's batch
    /// norms still normalise a training batch with its own statistics and keep averaging
    /// their running ones, as a PyTorch backbone under `requires_grad_(False)` in training
    /// mode does.
    #[must_use]
    pub fn with_frozen_backbone(mut self) -> Self {
        self.backbone = self.backbone.no_grad();
        self.frozen = true;
        self
    }

    /// Whether [`with_frozen_backbone`](Self::with_frozen_backbone) froze the backbone.
    pub fn frozen_backbone(&self) -> bool {
        self.frozen
    }
}

impl<B: Backend> Encoder<B> for ResNetEncoder<B> {
    type Input = Tensor<B, 4>;

    /// The features of a batch of images: the pooled backbone features, through the
    /// bottleneck when there is one.
    ///
    /// # Shapes
    ///
    /// - input: `[N, C, H, W]`
    /// - output: `[N, latent_dim]`
    fn encode(&self, input: Tensor<B, 4>) -> Tensor<B, 2> {
        let pooled = self.backbone.forward(input);
        let pooled = if self.frozen { pooled.detach() } else { pooled };
        match &self.bottleneck {
            Some(bottleneck) => bottleneck.forward(pooled),
            None => pooled,
        }
    }

    linear_head!();

    fn input_dims(&self) -> Option<Vec<usize>> {
        Some(self.input.to_vec())
    }
}
