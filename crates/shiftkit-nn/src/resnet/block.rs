//! ResNet's residual blocks, in torchvision's layout and parameter names: the basic block of
//! ResNet-18 and -34, the bottleneck of ResNet-50 (the stride on its 3x3 convolution, as
//! torchvision's "v1.5"), and the projection that matches a shortcut to a block's output.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

/// The kind of residual block a ResNet stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BlockKind {
    /// Two 3x3 convolutions (ResNet-18, -34); a block's output has its stage's width.
    Basic,
    /// 1x1, 3x3 and 1x1 convolutions (ResNet-50 and deeper); the output is four times the
    /// stage's width.
    Bottleneck,
}

impl BlockKind {
    /// How many times the stage's width a block's output is.
    pub fn expansion(self) -> usize {
        match self {
            Self::Basic => 1,
            Self::Bottleneck => 4,
        }
    }
}

/// A convolution without bias, `k x k`, with torchvision's padding `k / 2`.
pub(crate) fn conv<B: Backend>(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    device: &B::Device,
) -> Conv2d<B> {
    let pad = kernel / 2;
    Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .init(device)
}

/// Batch norm with PyTorch's epsilon and momentum.
pub(crate) fn norm<B: Backend>(channels: usize, device: &B::Device) -> BatchNorm<B> {
    BatchNormConfig::new(channels).init(device)
}

/// The shortcut's projection, a 1x1 convolution and batch norm (torchvision's `downsample`,
/// whose `0` and `1` are `conv` and `bn` here).
#[derive(Module, Debug)]
pub struct Downsample<B: Backend> {
    conv: Conv2d<B>,
    bn: BatchNorm<B>,
}

impl<B: Backend> Downsample<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.bn.forward(self.conv.forward(x))
    }
}

/// One residual block: `relu(F(x) + shortcut(x))`. The fields are torchvision's: `conv1`,
/// `bn1`, `conv2`, `bn2`, and for a bottleneck `conv3`, `bn3`.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    conv1: Conv2d<B>,
    bn1: BatchNorm<B>,
    conv2: Conv2d<B>,
    bn2: BatchNorm<B>,
    conv3: Option<Conv2d<B>>,
    bn3: Option<BatchNorm<B>>,
    downsample: Option<Downsample<B>>,
}

impl<B: Backend> Block<B> {
    /// A block of `kind` from `inputs` channels at stage width `width`, its first convolution
    /// (a bottleneck's second) of stride `stride`.
    pub(crate) fn new(
        kind: BlockKind,
        inputs: usize,
        width: usize,
        stride: usize,
        device: &B::Device,
    ) -> Self {
        let outputs = width * kind.expansion();
        let downsample = (stride != 1 || inputs != outputs).then(|| Downsample {
            conv: conv([inputs, outputs], 1, stride, device),
            bn: norm(outputs, device),
        });
        match kind {
            BlockKind::Basic => Self {
                conv1: conv([inputs, width], 3, stride, device),
                bn1: norm(width, device),
                conv2: conv([width, width], 3, 1, device),
                bn2: norm(width, device),
                conv3: None,
                bn3: None,
                downsample,
            },
            BlockKind::Bottleneck => Self {
                conv1: conv([inputs, width], 1, 1, device),
                bn1: norm(width, device),
                conv2: conv([width, width], 3, stride, device),
                bn2: norm(width, device),
                conv3: Some(conv([width, outputs], 1, 1, device)),
                bn3: Some(norm(outputs, device)),
                downsample,
            },
        }
    }

    /// The block's output.
    ///
    /// # Shapes
    ///
    /// - x: `[N, inputs, H, W]`
    /// - output: `[N, outputs, H / stride, W / stride]` (rounded up)
    pub(crate) fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let shortcut = match &self.downsample {
            Some(downsample) => downsample.forward(x.clone()),
            None => x.clone(),
        };
        let y = relu(self.bn1.forward(self.conv1.forward(x)));
        let y = self.bn2.forward(self.conv2.forward(y));
        let y = match (&self.conv3, &self.bn3) {
            (Some(conv3), Some(bn3)) => bn3.forward(conv3.forward(relu(y))),
            _ => y,
        };
        relu(y + shortcut)
    }
}
