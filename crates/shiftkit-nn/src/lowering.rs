//! A 3x3 convolution (stride 1, padding 1) lowered to one matrix product.
//!
//! Burn 0.21's CPU backends compute the input gradient of a convolution with a scalar loop over
//! every output element and kernel tap (`conv_transpose2d`); on the reference CNN that made one
//! training step take seconds. Lowered here to shifted copies of the padded input (im2col)
//! and a matrix product, the forward and the backward are made of slices, concatenations and
//! matrix products, which every backend runs at full speed.
//!
//! Batch norm is lowered alongside, onto 2-D views: the CPU backends run 2-D broadcasts and
//! copies row by row or tile by tile, higher-rank ones element by element through a generic
//! strided iterator. (Max pooling written as maxima of 2-D views measured no faster than the
//! backend's own, so the backend keeps it.)

use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::ops::PadMode;
use serde::{Deserialize, Serialize};

/// How the reference CNN computes its convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ConvAlgorithm {
    /// Shifted copies of the padded input and one matrix product (im2col), with batch norm on
    /// 2-D views: the fast choice on the CPU backends.
    #[default]
    Im2col,
    /// The backend's own convolution and batch norm: the choice on CUDA, whose autotuned and
    /// fused kernels are fast.
    Backend,
}

/// Applies `conv`, a 3x3 convolution with stride 1 and padding 1, as im2col + matrix product.
///
/// Every copy is kept two-dimensional (the CPU backends copy 2-D strided views tile by tile,
/// higher-rank ones element by element): each image channel is one row holding the zero-padded
/// image, `(H + 2) x (W + 2)` values, and the output is computed on the padded width. Output
/// pixel `(y, x)` then reads, for tap `(dy, dx)`, the row's value at
/// `(y + dy) * (W + 2) + x + dx`: tap `(dy, dx)` of every pixel is one contiguous window of
/// `H * (W + 2)` values starting at `dy * (W + 2) + dx`. The two extra columns of each output
/// row are dropped at the end.
///
/// # Shapes
///
/// - input: `[N, C_in, H, W]`
/// - output: `[N, C_out, H, W]`
pub(crate) fn conv3x3_im2col<B: Backend>(conv: &Conv2d<B>, input: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c_in, h, w] = input.dims();
    let weight = conv.weight.val();
    let [c_out, _, kh, kw] = weight.dims();
    let wp = w + 2;
    let window = h * wp;
    // Left and right zero columns, then a zero row above and below (W + 2 values each) and two
    // trailing zeros so that the last tap's window stays inside the row.
    let padded = input
        .reshape([n * c_in * h, w])
        .pad((1, 1, 0, 0), PadMode::Constant(0.0))
        .reshape([n * c_in, window])
        .pad((wp, wp + 2, 0, 0), PadMode::Constant(0.0));
    let taps: Vec<Tensor<B, 2>> = (0..kh)
        .flat_map(|dy| (0..kw).map(move |dx| dy * wp + dx))
        .map(|start| padded.clone().slice([0..n * c_in, start..start + window]))
        .collect();
    // [N * C_in, taps, window] -> [N, C_in * taps, window], rows in the weight's [C_in, kh, kw]
    // order.
    let patches = Tensor::stack::<3>(taps, 1).reshape([n, c_in * kh * kw, window]);
    let out = weight
        .reshape([1, c_out, c_in * kh * kw])
        .matmul(patches)
        .reshape([n * c_out, window]);
    let out = match &conv.bias {
        Some(bias) => out + per_row(bias.val(), n),
        None => out,
    };
    out.reshape([n * c_out * h, wp])
        .slice([0..n * c_out * h, 0..w])
        .reshape([n, c_out, h, w])
}

/// A per-channel vector `[C]` as a column `[N * C, 1]` for the rows `(image, channel)` of an
/// `[N * C, ...]` view.
fn per_row<B: Backend>(values: Tensor<B, 1>, n: usize) -> Tensor<B, 2> {
    let [c] = values.dims();
    values.reshape([1, c]).repeat_dim(0, n).reshape([n * c, 1])
}

/// Applies `norm` (Burn's `BatchNorm`, whose parameters and running statistics it reads and
/// updates exactly as `BatchNorm::forward` does) to `[N, C, H, W]` images, computed on the
/// `[N * C, H * W]` view: each per-channel value is repeated into an `[N * C, 1]` column, so
/// every broadcast is a 2-D one.
///
/// The CPU backends broadcast a `[1, C, 1, 1]` tensor over a 4-D one element by element through
/// a generic strided iterator; their 2-D broadcasts run row by row. Same function, same
/// gradients (tested against `BatchNorm::forward`).
///
/// # Shapes
///
/// - input: `[N, C, H, W]`
/// - output: `[N, C, H, W]`
pub(crate) fn batch_norm_rows<B: Backend>(
    norm: &BatchNorm<B>,
    input: Tensor<B, 4>,
) -> Tensor<B, 4> {
    let [n, c, h, w] = input.dims();
    let rows = input.reshape([n * c, h * w]);
    // A per-channel vector [C] as a per-row column [N * C, 1].
    let per_row = |v: Tensor<B, 1>| v.reshape([1, c]).repeat_dim(0, n).reshape([n * c, 1]);
    // The mean over N and H * W of per-row values [N * C, 1], per channel: [C].
    let channel_mean = |per_row: Tensor<B, 2>| per_row.reshape([n, c]).mean_dim(0).reshape([c]);

    let device = rows.device();
    let (scale, shift, centered) = if B::ad_enabled(&device) {
        let mean = channel_mean(rows.clone().mean_dim(1));
        let centered = rows - per_row(mean.clone());
        let var = channel_mean(centered.clone().square().mean_dim(1));
        let momentum = norm.momentum;
        let blend = |running: Tensor<B, 1>, batch: Tensor<B, 1>| {
            running
                .mul_scalar(1.0 - momentum)
                .add(batch.detach().mul_scalar(momentum))
                .detach()
        };
        let running_mean = norm.running_mean.value_sync().to_device(&device);
        let running_var = norm.running_var.value_sync().to_device(&device);
        norm.running_mean.update(blend(running_mean, mean));
        norm.running_var.update(blend(running_var, var.clone()));
        let scale = norm.gamma.val() / var.add_scalar(norm.epsilon).sqrt();
        (scale, norm.beta.val(), centered)
    } else {
        let mean = norm.running_mean.value().to_device(&device);
        let var = norm.running_var.value().to_device(&device);
        let scale = norm.gamma.val() / var.add_scalar(norm.epsilon).sqrt();
        // (x - mean) * scale + beta = x * scale + (beta - mean * scale)
        let shift = norm.beta.val() - mean * scale.clone();
        (scale, shift, rows)
    };
    (centered * per_row(scale) + per_row(shift)).reshape([n, c, h, w])
}
