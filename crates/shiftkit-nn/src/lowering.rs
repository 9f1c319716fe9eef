//! A 3x3 convolution (stride 1, padding 1) lowered to one matrix product.
//!
//! Burn 0.21's CPU backends compute the input gradient of a convolution with a scalar loop over
//! every output element and kernel tap (`conv_transpose2d`); on the reference CNN that made one
//! training step take seconds. Lowered here to shifted copies of the padded input (im2col)
//! and a matrix product, the forward and the backward are made of slices, concatenations and
//! matrix products, which every backend runs at full speed.

use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::ops::PadMode;
use serde::{Deserialize, Serialize};

/// How the reference CNN computes its convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ConvAlgorithm {
    /// Shifted copies of the padded input and one matrix product (im2col): the fast choice on
    /// the CPU backends.
    #[default]
    Im2col,
    /// The backend's own convolution: the choice on CUDA, whose autotuned kernels are fast.
    Backend,
}

/// Applies `conv`, a 3x3 convolution with stride 1 and padding 1, as im2col + matrix product.
///
/// # Shapes
///
/// - input: `[N, C_in, H, W]`
/// - output: `[N, C_out, H, W]`
pub(crate) fn conv3x3_im2col<B: Backend>(conv: &Conv2d<B>, input: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c_in, h, w] = input.dims();
    let weight = conv.weight.val();
    let [c_out, _, kh, kw] = weight.dims();
    let padded = input.pad((1, 1, 1, 1), PadMode::Constant(0.0));
    // Tap (dy, dx) of every output pixel is the padded input shifted by (dy, dx).
    let taps: Vec<Tensor<B, 4>> = (0..kh)
        .flat_map(|dy| (0..kw).map(move |dx| (dy, dx)))
        .map(|(dy, dx)| {
            padded
                .clone()
                .slice([0..n, 0..c_in, dy..dy + h, dx..dx + w])
        })
        .collect();
    // [N, C_in, taps, H, W] -> rows of C_in * taps, in the order of the weight's [C_in, kh, kw].
    let patches = Tensor::stack::<5>(taps, 2)
        .reshape([n, c_in * kh * kw, h * w])
        .swap_dims(1, 2)
        .reshape([n * h * w, c_in * kh * kw]);
    let mut out = patches.matmul(weight.reshape([c_out, c_in * kh * kw]).transpose());
    if let Some(bias) = &conv.bias {
        out = out + bias.val().unsqueeze::<2>();
    }
    out.reshape([n, h * w, c_out])
        .swap_dims(1, 2)
        .reshape([n, c_out, h, w])
}
