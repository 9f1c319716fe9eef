//! The reference CNN's convolution blocks lowered to matrix products and host-side copies.
//!
//! Burn 0.21's CPU backends compute the input gradient of a convolution with a scalar loop over
//! every output element and kernel tap (`conv_transpose2d`); on the reference CNN that made one
//! training step take seconds. Their max pooling and 4-D broadcasts also walk every element
//! through a generic strided iterator. Lowered here, a block
//! `conv 3x3 (pad 1) -> batch norm -> ReLU -> max pool 2x2` is:
//!
//! 1. the convolution as one host op ([`LoweringBackend::conv_3x3`]): im2col
//!    (`[C, N, H, W]` -> `[C * 9, N * H * W]`, one sequential write) and one matrix product with
//!    the weight as `[C_out, C * 9]`, the bias pre-filled in the output, `[C_out, N * H * W]`;
//!    from 16 input channels on, Winograd's F(2x2, 3x3) instead (`winograd`: 16 smaller
//!    products, 2.25 times fewer multiply-adds). Its backward computes the weight's and the
//!    bias's gradients (from the im2col matrix), and the input's only when the input is
//!    tracked (one product and col2im, or from 16 output channels on, Winograd's algorithm
//!    with the flipped weight);
//! 3. batch norm, ReLU and max pooling fused on the host
//!    ([`LoweringBackend::batch_norm_relu_max_pool_2x2`]; ReLU and pooling commute), with the
//!    batch's statistics and a hand-written backward in training, and as a per-channel affine
//!    map before the pooling in evaluation ([`LoweringBackend::affine_relu_max_pool_2x2`]).
//!
//! Activations stay channel-major (`[C, N, H, W]`) between the blocks, which makes step 1 one
//! large 2-D product and gives batch norm one contiguous row per channel; the last block writes
//! its output image-major (`[N, C, H, W]`) for the dense layers.

mod autodiff;
mod backend;
#[cfg(feature = "flex")]
mod flex;

pub use backend::{BatchNormPoolState, ConvState, LoweringBackend};

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use serde::{Deserialize, Serialize};

/// How the reference CNN computes its convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ConvAlgorithm {
    /// Whichever fits the backend: [`Im2col`](Self::Im2col) on a host-memory backend (see
    /// [`host_backend`](crate::host_backend)), [`Backend`](Self::Backend) elsewhere.
    /// [`CnnEncoderConfig::init`](crate::CnnEncoderConfig::init) resolves it.
    #[default]
    Auto,
    /// im2col and one matrix product per convolution, then batch norm, ReLU and pooling fused
    /// on the host ([`LoweringBackend`]): the fast choice on the CPU backends.
    Im2col,
    /// The backend's own convolution, batch norm and pooling: the choice on the GPU backends
    /// (CUDA, wgpu), whose autotuned and fused kernels are fast.
    Backend,
}

impl ConvAlgorithm {
    /// The concrete choice for backend `B` on `device`: [`Auto`](Self::Auto) becomes
    /// [`Im2col`](Self::Im2col) or [`Backend`](Self::Backend), the others stay as they are.
    pub fn resolve<B: Backend>(self, device: &B::Device) -> Self {
        match self {
            Self::Auto if crate::host_backend::<B>(device) => Self::Im2col,
            Self::Auto => Self::Backend,
            chosen => chosen,
        }
    }
}

/// `layer.forward(x)` through [`LoweringBackend::dense`]: the same values, without flex's
/// extra buffers. A layer without a bias takes Burn's own op.
pub(crate) fn dense<B: LoweringBackend>(layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    let Some(bias) = &layer.bias else {
        return layer.forward(x);
    };
    Tensor::from_primitive(TensorPrimitive::Float(B::dense(
        x.into_primitive().tensor(),
        layer.weight.val().into_primitive().tensor(),
        bias.val().into_primitive().tensor(),
    )))
}

/// `[N, C, H, W]` images as channel-major `[C, N, H, W]` activations.
pub(crate) fn channel_major<B: Backend>(images: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = images.dims();
    if c == 1 {
        // One channel: the same values in the same order.
        images.reshape([1, n, h, w])
    } else {
        images.swap_dims(0, 1)
    }
}

/// One block `conv 3x3 (stride 1, pad 1) -> batch norm -> ReLU -> max pool 2x2`, lowered.
///
/// `conv` and `norm` are read exactly as `Conv2d::forward` and `BatchNorm::forward` do; the
/// function and its gradients are the same (tested against Burn's layers). In training the
/// batch's statistics come back beside the output, for [`update_running`] to fold into `norm`'s
/// running statistics (as `BatchNorm::forward` does at once); in evaluation, `None`.
///
/// # Shapes
///
/// - input: `[C_in, N, H, W]` (channel-major)
/// - output: `[C_out, N, H / 2, W / 2]`, or `[N, C_out, H / 2, W / 2]` when `image_major`
pub(crate) fn conv_block<B: LoweringBackend>(
    conv: &Conv2d<B>,
    norm: &BatchNorm<B>,
    input: Tensor<B, 4>,
    image_major: bool,
) -> (Tensor<B, 4>, Option<BatchStatistics>) {
    let device = input.device();
    let weight = conv.weight.val();
    let bias = match &conv.bias {
        Some(bias) => bias.val(),
        None => Tensor::zeros([weight.dims()[0]], &device),
    };
    let (out, _) = B::conv_3x3(
        input.into_primitive().tensor(),
        weight.into_primitive().tensor(),
        bias.into_primitive().tensor(),
    );
    let (pooled, statistics) = if B::ad_enabled(&device) {
        // Training: batch statistics.
        let (pooled, state) = B::batch_norm_relu_max_pool_2x2(
            out,
            norm.gamma.val().into_primitive().tensor(),
            norm.beta.val().into_primitive().tensor(),
            norm.epsilon,
            image_major,
        );
        let statistics = BatchStatistics {
            mean: state.batch_mean().to_vec(),
            variance: state.batch_variance().to_vec(),
        };
        (pooled, Some(statistics))
    } else {
        // Evaluation: batch norm with the running statistics is an affine map per channel.
        let mean = norm.running_mean.value().to_device(&device);
        let var = norm.running_var.value().to_device(&device);
        let scale = norm.gamma.val() / var.add_scalar(norm.epsilon).sqrt();
        // (x - mean) * scale + beta = x * scale + (beta - mean * scale)
        let shift = norm.beta.val() - mean * scale.clone();
        let pooled = B::affine_relu_max_pool_2x2(
            out,
            scale.into_primitive().tensor(),
            shift.into_primitive().tensor(),
            image_major,
        );
        (pooled, None)
    };
    (
        Tensor::from_primitive(TensorPrimitive::Float(pooled)),
        statistics,
    )
}

/// One training batch's per-channel statistics, as batch norm folds them into its running ones.
#[derive(Debug, Clone)]
pub(crate) struct BatchStatistics {
    mean: Vec<f32>,
    /// Biased (divided by the count), as `BatchNorm::forward` uses it.
    variance: Vec<f32>,
}

/// Folds a batch's statistics into `norm`'s running ones, as `BatchNorm::forward` does:
/// `running = (1 - momentum) running + momentum batch`.
pub(crate) fn update_running<B: Backend>(norm: &BatchNorm<B>, statistics: &BatchStatistics) {
    let device = norm.gamma.val().device();
    let momentum = norm.momentum;
    let blend = |running: Tensor<B, 1>, batch: &[f32]| {
        let batch =
            Tensor::<B, 1>::from_data(TensorData::new(batch.to_vec(), [batch.len()]), &device);
        running
            .mul_scalar(1.0 - momentum)
            .add(batch.mul_scalar(momentum))
            .detach()
    };
    let running_mean = norm.running_mean.value_sync().to_device(&device);
    let running_var = norm.running_var.value_sync().to_device(&device);
    norm.running_mean
        .update(blend(running_mean, &statistics.mean));
    norm.running_var
        .update(blend(running_var, &statistics.variance));
}
