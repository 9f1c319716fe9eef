//! The lowering's kernels on host memory: plain loops over slices, no tensors.
//!
//! Activations are laid out channel-major, `[C, N, H, W]`: one channel of every image is one
//! contiguous block, so a convolution is one matrix product `[C_out, C_in * 9] x
//! [C_in * 9, N * H * W]` and batch norm works on rows.

use std::ops::Range;

use crate::planes::{Planes, wide};
use crate::product::{MatRef, matmul, product};
use crate::winograd;

/// Walks the output rows `y` of tap `(ky, kx)` of a 3x3 convolution with padding 1 on one
/// `height x width` plane: calls `f(y, Some((dst, src)))` when the source row `y + ky - 1`
/// lies inside the image, with `dst` and `src` the plane indices where `dst[x]` pairs with
/// `src[x + kx - 1]` (the rest of output row `y` is padding), and `f(y, None)` when the whole
/// output row is padding.
///
/// The adjoint's walk ([`col2im_3x3_add`]); the lowering copies whole planes instead
/// ([`shifted_plane`]), and the tests check the two against the definition and each other.
#[inline(always)] // Into the callers' vector width (`wide`).
fn for_each_tap_row(
    width: usize,
    height: usize,
    ky: usize,
    kx: usize,
    mut f: impl FnMut(usize, Option<(Range<usize>, Range<usize>)>),
) {
    // Columns: dst x in [x0, x1) reads src x + kx - 1.
    let (dst_cols, src_cols) = match kx {
        0 => (1..width, 0..width.saturating_sub(1)),
        1 => (0..width, 0..width),
        _ => (0..width.saturating_sub(1), 1..width),
    };
    for y in 0..height {
        let source_row = (y + ky).checked_sub(1).filter(|&sy| sy < height);
        let pair = source_row.filter(|_| !dst_cols.is_empty()).map(|sy| {
            (
                y * width + dst_cols.start..y * width + dst_cols.end,
                sy * width + src_cols.start..sy * width + src_cols.end,
            )
        });
        f(y, pair);
    }
}

/// im2col for a 3x3 convolution with stride 1 and padding 1: `[C, N, H, W]` ->
/// `[C * 9, N * H * W]`, row `c * 9 + ky * 3 + kx` holding, for every output pixel, the input
/// value under tap `(ky, kx)` of channel `c` (zero outside the image).
pub fn im2col_3x3(input: &[f32], shape: Planes) -> Vec<f32> {
    debug_assert_eq!(input.len(), shape.len());
    let plane = shape.plane();
    let row_len = shape.images * plane;
    // Written front to back, each value once (no zero fill first: the buffer is large).
    let mut cols = Vec::with_capacity(shape.channels * 9 * row_len);
    if row_len == 0 {
        return cols;
    }
    for source in input.chunks_exact(row_len) {
        for tap in 0..9 {
            for image in source.chunks_exact(plane) {
                shifted_plane(&mut cols, image, shape.height, shape.width, tap);
            }
        }
    }
    cols
}

/// Appends to `cols` tap `(ky, kx)`'s view of one `height x width` plane: output pixel `(y, x)`
/// holds input pixel `(y + ky - 1, x + kx - 1)`, zero outside the plane.
///
/// The rows of the plane that have a source row are one contiguous copy of the input shifted by
/// `(ky - 1) * width + kx - 1`: copied in one piece, then the column that a shift by one pulls
/// across a row boundary (the first for `kx = 0`, the last for `kx = 2`) set to zero. One copy
/// per plane instead of one per row: the rows are short (14 values in the second block).
fn shifted_plane(cols: &mut Vec<f32>, image: &[f32], height: usize, width: usize, tap: usize) {
    let (ky, kx) = (tap / 3, tap % 3);
    let zeros = |cols: &mut Vec<f32>, n: usize| cols.resize(cols.len() + n, 0.0);
    // Output rows [y0, y1) read input rows [y0 + ky - 1, y1 + ky - 1).
    let (y0, y1) = (
        usize::from(ky == 0),
        height.saturating_sub(usize::from(ky == 2)),
    );
    if y0 >= y1 || (width < 2 && kx != 1) {
        return zeros(cols, height * width);
    }
    let (from, to) = ((y0 + ky - 1) * width, (y1 + ky - 1) * width);
    zeros(cols, y0 * width);
    let start = cols.len();
    match kx {
        0 => {
            cols.push(0.0);
            cols.extend_from_slice(&image[from..to - 1]);
            for row in cols[start..].chunks_exact_mut(width).skip(1) {
                row[0] = 0.0;
            }
        }
        1 => cols.extend_from_slice(&image[from..to]),
        _ => {
            cols.extend_from_slice(&image[from + 1..to]);
            cols.push(0.0);
            for row in cols[start..].chunks_exact_mut(width) {
                row[width - 1] = 0.0;
            }
        }
    }
    zeros(cols, (height - y1) * width);
}

/// The adjoint of [`im2col_3x3`]: `[C * 9, N * H * W]` -> `[C, N, H, W]`, each input pixel
/// receiving the sum of the entries it was copied to.
#[cfg(test)]
pub fn col2im_3x3(cols: &[f32], shape: Planes) -> Vec<f32> {
    let mut input = vec![0.0f32; shape.len()];
    col2im_3x3_add(cols, shape, 0..shape.images, &mut input);
    input
}

/// The adjoint of [`im2col_3x3`] for the columns of `images` only (`cols`:
/// `[C * 9, images.len() * H * W]`): each of those images' pixels of `input` (`[C, N, H, W]`)
/// gets the entries it was copied to added, tap after tap.
fn col2im_3x3_add(cols: &[f32], shape: Planes, images: Range<usize>, input: &mut [f32]) {
    wide(
        #[inline(always)]
        || col2im_3x3_add_body(cols, shape, images, input),
    )
}

/// [`col2im_3x3_add`]'s body, compiled where [`wide`] says.
#[inline(always)]
fn col2im_3x3_add_body(cols: &[f32], shape: Planes, images: Range<usize>, input: &mut [f32]) {
    let plane = shape.plane();
    let (row_len, chunk_len) = (shape.images * plane, images.len() * plane);
    debug_assert_eq!(cols.len(), shape.channels * 9 * chunk_len);
    debug_assert_eq!(input.len(), shape.len());
    if chunk_len == 0 {
        return;
    }
    let first = images.start * plane;
    for (c, target) in input.chunks_exact_mut(row_len).enumerate() {
        let target = &mut target[first..first + chunk_len];
        for tap in 0..9 {
            let row = &cols[(c * 9 + tap) * chunk_len..(c * 9 + tap + 1) * chunk_len];
            for (src, dst) in row.chunks_exact(plane).zip(target.chunks_exact_mut(plane)) {
                for_each_tap_row(shape.width, shape.height, tap / 3, tap % 3, |_, pair| {
                    if let Some((d, s)) = pair {
                        for (acc, g) in dst[s].iter_mut().zip(&src[d]) {
                            *acc += g;
                        }
                    }
                });
            }
        }
    }
}

/// Which input entry each pooled output came from: 0..4 for the window's top-left, top-right,
/// bottom-left and bottom-right, [`NO_SOURCE`] where the ReLU cut the output to zero.
pub const NO_SOURCE: u8 = 4;

/// Where a pooled output is written: its index in the output tensor for channel `c`, image
/// `n`, pixel `p` of `pooled` pixels per plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PooledLayout {
    /// `[C, N, H / 2, W / 2]`, the input's order.
    ChannelMajor,
    /// `[N, C, H / 2, W / 2]`, the images' order (what a dense layer reads after flattening).
    ImageMajor,
}

impl PooledLayout {
    /// `[C, N, H / 2, W / 2]` or `[N, C, H / 2, W / 2]`: the pooled output's dimensions for a
    /// `[C, N, H, W]` input.
    pub fn pooled_dims(self, [c, n, h, w]: [usize; 4]) -> [usize; 4] {
        match self {
            Self::ChannelMajor => [c, n, h / 2, w / 2],
            Self::ImageMajor => [n, c, h / 2, w / 2],
        }
    }

    fn plane_index(self, shape: Planes, c: usize, n: usize) -> usize {
        match self {
            Self::ChannelMajor => c * shape.images + n,
            Self::ImageMajor => n * shape.channels + c,
        }
    }
}

/// Per-channel scale and shift applied before the pooling: `y = x * scale[c] + shift[c]`.
#[derive(Debug, Clone, Copy)]
pub struct Affine<'a> {
    /// The factor of each channel.
    pub scale: &'a [f32],
    /// The offset of each channel.
    pub shift: &'a [f32],
}

/// Sizes of one lowered 3x3 convolution: `[C_out, C_in * 9] x [C_in * 9, N * H * W]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// The input, `[C_in, N, H, W]`.
    pub input: Planes,
    /// Output channels.
    pub out_channels: usize,
}

impl ConvShape {
    /// Rows of the im2col matrix: `C_in * 9`.
    pub fn taps(&self) -> usize {
        self.input.channels * 9
    }

    /// Output pixels over the batch: `N * H * W`.
    pub fn pixels(&self) -> usize {
        self.input.images * self.input.plane()
    }
}

/// A 3x3 convolution (stride 1, padding 1) of im2col's `cols` (`[C_in * 9, N * H * W]`) with
/// `weight` (`[C_out, C_in * 9]`) plus `bias` (`[C_out]`): `[C_out, N * H * W]`.
pub fn conv_3x3(cols: &[f32], weight: &[f32], bias: &[f32], shape: ConvShape) -> Vec<f32> {
    let (taps, pixels) = (shape.taps(), shape.pixels());
    let mut out = Vec::with_capacity(shape.out_channels * pixels);
    for &b in bias {
        out.resize(out.len() + pixels, b);
    }
    matmul(
        &mut out,
        MatRef::row_major(weight, shape.out_channels, taps),
        MatRef::row_major(cols, taps, pixels),
        true,
    );
    out
}

/// What a convolution's weight gradient is computed from.
#[derive(Debug, Clone, Copy)]
pub enum ConvSource<'a> {
    /// The im2col matrix of the input: one product `g x cols^T`.
    Columns(&'a [f32]),
    /// The input itself, `[C_in, N, H, W]`: by Winograd's algorithm
    /// ([`winograd::weight_gradient`]).
    Planes(&'a [f32]),
}

/// The gradients of a 3x3 convolution (stride 1, padding 1) from the gradient of its output
/// (`[C_out, N * H * W]`): the input's (`[C_in, N, H, W]`, when `input_grad`), the weight's
/// and the bias's.
pub fn conv_3x3_backward(
    grad: &[f32],
    source: ConvSource<'_>,
    weight: &[f32],
    shape: ConvShape,
    input_grad: bool,
) -> (Option<Vec<f32>>, Vec<f32>, Vec<f32>) {
    let (taps, pixels, c_out) = (shape.taps(), shape.pixels(), shape.out_channels);
    let weight_grad = match source {
        ConvSource::Columns(cols) => product(
            MatRef::row_major(grad, c_out, pixels),
            MatRef::row_major(cols, taps, pixels).t(),
        ),
        ConvSource::Planes(input) => winograd::weight_gradient(input, grad, shape.input, c_out),
    };
    let bias_grad = wide(
        #[inline(always)]
        || {
            grad.chunks_exact(pixels.max(1))
                .map(|row| blocked_sum(row, |g| g) as f32)
                .collect()
        },
    );
    let input_grad = input_grad.then(|| {
        if winograd::pays(c_out) {
            // The full correlation of the output's gradient with the flipped weight.
            let planes = Planes {
                channels: c_out,
                ..shape.input
            };
            let flipped = winograd::flipped(weight, c_out, shape.input.channels);
            winograd::conv_3x3(grad, &flipped, None, planes, shape.input.channels)
        } else {
            input_gradient(grad, weight, shape)
        }
    });
    (input_grad, weight_grad, bias_grad)
}

/// The input's gradient: `W^T g` as im2col columns, folded back into images by
/// [`col2im_3x3_add`] a few images at a time, so that the columns (9 times the input) stay in
/// cache between the two instead of making a round trip through memory. Each value is the same
/// sum as from the whole product (`gemm` blocks the inner dimension by `C_out` alone).
fn input_gradient(grad: &[f32], weight: &[f32], shape: ConvShape) -> Vec<f32> {
    /// Columns per chunk: 1 MiB of them.
    const CHUNK_VALUES: usize = 1 << 18;
    let (taps, pixels, c_out) = (shape.taps(), shape.pixels(), shape.out_channels);
    let plane = shape.input.plane();
    let mut input = vec![0.0f32; shape.input.len()];
    if pixels == 0 || taps == 0 {
        return input;
    }
    let per_chunk = (CHUNK_VALUES / (taps * plane)).clamp(1, shape.input.images);
    let weight_t = MatRef::row_major(weight, c_out, taps).t();
    let mut cols = vec![0.0f32; taps * per_chunk * plane];
    for first in (0..shape.input.images).step_by(per_chunk) {
        let images = first..(first + per_chunk).min(shape.input.images);
        let width = images.len() * plane;
        let grad = MatRef {
            data: &grad[first * plane..],
            rows: c_out,
            cols: width,
            row_stride: pixels,
            col_stride: 1,
        };
        let cols = &mut cols[..taps * width];
        matmul(cols, weight_t, grad, false);
        col2im_3x3_add(cols, shape.input, images, &mut input);
    }
    input
}

/// `relu(max_pool_2x2(x * scale + shift))`, the affine map per channel, stride 2, rounding the
/// output size down, on a channel-major `[C, N, H, W]` input. Returns the outputs, laid out
/// as `layout` says, and for each of them (in the same order) the window entry it came from.
///
/// Ties go to the first entry in row-major order; an output that is not positive has no
/// source (the ReLU's gradient is zero there, as at 0 in PyTorch and Burn).
pub fn affine_relu_max_pool_2x2(
    input: &[f32],
    shape: Planes,
    affine: Affine<'_>,
    layout: PooledLayout,
) -> (Vec<f32>, Vec<u8>) {
    wide(
        #[inline(always)]
        || affine_relu_max_pool_2x2_body(input, shape, affine, layout),
    )
}

/// [`affine_relu_max_pool_2x2`]'s body, compiled where [`wide`] says.
#[inline(always)]
fn affine_relu_max_pool_2x2_body(
    input: &[f32],
    shape: Planes,
    affine: Affine<'_>,
    layout: PooledLayout,
) -> (Vec<f32>, Vec<u8>) {
    debug_assert_eq!(input.len(), shape.len());
    debug_assert_eq!(affine.scale.len(), shape.channels);
    debug_assert_eq!(affine.shift.len(), shape.channels);
    let (ph, pw) = (shape.height / 2, shape.width / 2);
    let pooled = ph * pw;
    let total = shape.channels * shape.images * pooled;
    let mut out = vec![0.0f32; total];
    let mut taps = vec![NO_SOURCE; total];
    if pooled == 0 {
        return (out, taps);
    }
    for (plane_index, src) in input.chunks_exact(shape.plane()).enumerate() {
        let (c, n) = (plane_index / shape.images, plane_index % shape.images);
        let (scale, shift) = (affine.scale[c], affine.shift[c]);
        let at = layout.plane_index(shape, c, n) * pooled;
        let (out, taps) = (&mut out[at..at + pooled], &mut taps[at..at + pooled]);
        for ((rows, out), taps) in src
            .chunks_exact(2 * shape.width)
            .zip(out.chunks_exact_mut(pw))
            .zip(taps.chunks_exact_mut(pw))
        {
            let (top, bottom) = rows.split_at(shape.width);
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for ((out, tap), (t, b)) in out.iter_mut().zip(taps.iter_mut()).zip(windows) {
                let y = [t[0], t[1], b[0], b[1]].map(|x| x * scale + shift);
                (*out, *tap) = relu_max4(y);
            }
        }
    }
    (out, taps)
}

/// `relu(max(window))` and which entry it came from ([`NO_SOURCE`] when not positive): ties
/// keep the earlier entry, a NaN anywhere gives NaN.
///
/// Written with bit masks instead of branches: on real activations the comparisons are
/// unpredictable, and the branchy form spent most of its time in mispredictions.
#[inline(always)]
fn relu_max4([a, b, c, d]: [f32; 4]) -> (f32, u8) {
    let upper_right = b > a;
    let upper = select(upper_right, b, a);
    let lower_right = d > c;
    let lower = select(lower_right, d, c);
    let from_lower = lower > upper;
    let value = select(from_lower, lower, upper);
    let source = pick_u8(from_lower, 2 + u8::from(lower_right), u8::from(upper_right));
    let nan = a.is_nan() | b.is_nan() | c.is_nan() | d.is_nan();
    let keep = (value > 0.0) | nan;
    let value = select(nan, f32::NAN, select(keep, value, 0.0));
    (value, pick_u8(keep, source, NO_SOURCE))
}

/// `if mask { yes } else { no }` without a branch.
#[inline(always)]
fn select(mask: bool, yes: f32, no: f32) -> f32 {
    let m = 0u32.wrapping_sub(u32::from(mask));
    f32::from_bits((yes.to_bits() & m) | (no.to_bits() & !m))
}

/// `if mask { yes } else { no }` without a branch.
#[inline(always)]
fn pick_u8(mask: bool, yes: u8, no: u8) -> u8 {
    let m = 0u8.wrapping_sub(u8::from(mask));
    (yes & m) | (no & !m)
}

/// Calls `f(top_left, grads, taps)` for every row of pooled outputs of channel `c`: `grads`
/// and `taps` the row's output gradients and sources (`grad` laid out as `layout` says),
/// `top_left` the input index of the row's first window's top-left entry, so that output `ox`
/// with source `tap` came from input [`source_index`]`(top_left, ox, tap, width)`.
#[inline(always)] // Into the callers' vector width (`wide`).
fn for_each_pooled_row(
    grad: &[f32],
    taps: &[u8],
    shape: Planes,
    layout: PooledLayout,
    c: usize,
    mut f: impl FnMut(usize, &[f32], &[u8]),
) {
    let (ph, pw) = (shape.height / 2, shape.width / 2);
    let pooled = ph * pw;
    debug_assert_eq!(grad.len(), shape.channels * shape.images * pooled);
    debug_assert_eq!(taps.len(), grad.len());
    if pooled == 0 {
        return;
    }
    for n in 0..shape.images {
        let base = (c * shape.images + n) * shape.plane();
        let at = layout.plane_index(shape, c, n) * pooled;
        let (grad, taps) = (&grad[at..at + pooled], &taps[at..at + pooled]);
        for (oy, (grad, taps)) in grad.chunks_exact(pw).zip(taps.chunks_exact(pw)).enumerate() {
            f(base + 2 * oy * shape.width, grad, taps);
        }
    }
}

/// The input index a pooled output came from (see [`for_each_pooled_row`]). For an output with
/// no source it names the window's top-left entry, which the callers pair with a zero
/// gradient ([`gradient_if_source`]): branch-free, as the sources are unpredictable.
#[inline(always)]
fn source_index(top_left: usize, ox: usize, tap: u8, width: usize) -> usize {
    let tap = usize::from(tap & 3);
    top_left + (tap >> 1) * width + 2 * ox + (tap & 1)
}

/// `g` where the output has a source, zero where the ReLU cut it.
#[inline(always)]
fn gradient_if_source(g: f32, tap: u8) -> f32 {
    select(tap != NO_SOURCE, g, 0.0)
}

/// Batch statistics of channel-major `[C, N, H, W]` values, per channel: the mean and the
/// biased variance (what batch norm normalises with), accumulated in `f64`.
pub fn channel_statistics(input: &[f32], shape: Planes) -> (Vec<f32>, Vec<f32>) {
    wide(
        #[inline(always)]
        || channel_statistics_body(input, shape),
    )
}

/// [`channel_statistics`]'s body, compiled where [`wide`] says.
#[inline(always)]
fn channel_statistics_body(input: &[f32], shape: Planes) -> (Vec<f32>, Vec<f32>) {
    let per_channel = shape.images * shape.plane();
    let mut means = Vec::with_capacity(shape.channels);
    let mut variances = Vec::with_capacity(shape.channels);
    if per_channel == 0 {
        return (vec![0.0; shape.channels], vec![0.0; shape.channels]);
    }
    for values in input.chunks_exact(per_channel) {
        // Sums in f32 lanes of 8 (vectorised), each block's lanes then added in f64: the
        // rounding stays far below the f32 precision of the result.
        let mean = blocked_sum(values, |x| x) / per_channel as f64;
        let m = mean as f32;
        let var = blocked_sum(values, |x| (x - m) * (x - m)) / per_channel as f64;
        means.push(m);
        variances.push(var as f32);
    }
    (means, variances)
}

/// `sum(f(x))` over `values`, in f32 lanes over blocks of 1,024, the blocks added in f64.
#[inline(always)] // Into the callers' vector width (`wide`).
fn blocked_sum(values: &[f32], f: impl Fn(f32) -> f32 + Copy) -> f64 {
    values
        .chunks(1024)
        .map(|block| {
            let mut lanes = [0.0f32; 8];
            let mut chunks = block.chunks_exact(8);
            for chunk in &mut chunks {
                for (lane, &x) in lanes.iter_mut().zip(chunk) {
                    *lane += f(x);
                }
            }
            let tail: f32 = chunks.remainder().iter().map(|&x| f(x)).sum();
            lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
        })
        .sum()
}

/// What the backward of batch norm + ReLU + pooling reads, besides the output gradient.
#[derive(Debug)]
pub struct NormPoolInputs<'a> {
    /// The values batch norm received, `[C, N, H, W]`.
    pub input: &'a [f32],
    /// The input's planes.
    pub shape: Planes,
    /// How the pooled output was laid out.
    pub layout: PooledLayout,
    /// The pooling's recorded sources.
    pub taps: &'a [u8],
    /// Batch mean and `1 / sqrt(var + eps)` per channel.
    pub mean: &'a [f32],
    /// `1 / sqrt(variance + epsilon)` of each channel.
    pub inv_std: &'a [f32],
    /// Batch norm's scale of each channel.
    pub gamma: &'a [f32],
}

/// Gradients of `relu(max_pool_2x2(batch_norm(x)))` (batch statistics) with respect to `x`,
/// gamma and beta, from the gradient of the pooled output.
///
/// With `x^ = (x - mean) * inv_std` and `g` the gradient reaching the normalised values (the
/// output gradient at each pooled output's source, zero elsewhere), over the `M` values of a
/// channel:
///
/// ```text
/// dbeta  = sum(g)
/// dgamma = sum(g * x^)
/// dx     = gamma * inv_std * (g - dbeta / M - x^ * dgamma / M)
/// ```
///
/// `g` is sparse (one entry per pooling window at most), so the sums run over the sources and
/// `dx` is one dense pass plus the sources.
pub fn batch_norm_relu_max_pool_2x2_backward(
    grad: &[f32],
    saved: &NormPoolInputs<'_>,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    wide(
        #[inline(always)]
        || batch_norm_relu_max_pool_2x2_backward_body(grad, saved),
    )
}

/// [`batch_norm_relu_max_pool_2x2_backward`]'s body, compiled where [`wide`] says.
#[inline(always)]
fn batch_norm_relu_max_pool_2x2_backward_body(
    grad: &[f32],
    saved: &NormPoolInputs<'_>,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let shape = saved.shape;
    let per_channel = shape.images * shape.plane();
    // Filled channel by channel, each value written once (no zero fill first).
    let mut grad_input = Vec::with_capacity(shape.len());
    let mut dgamma = Vec::with_capacity(shape.channels);
    let mut dbeta = Vec::with_capacity(shape.channels);
    if per_channel == 0 {
        return (
            vec![0.0; shape.len()],
            vec![0.0; shape.channels],
            vec![0.0; shape.channels],
        );
    }
    for (c, values) in saved.input.chunks_exact(per_channel).enumerate() {
        let (mean, inv_std) = (saved.mean[c], saved.inv_std[c]);
        // Sums over the sources: sum(g) and sum(g * x), in f32 along a row, in f64 across rows.
        let (mut sum_g, mut sum_gx) = (0.0f64, 0.0f64);
        let width = shape.width;
        for_each_pooled_row(
            grad,
            saved.taps,
            shape,
            saved.layout,
            c,
            |top_left, g, taps| {
                let (mut row_g, mut row_gx) = (0.0f32, 0.0f32);
                for (ox, (&g, &tap)) in g.iter().zip(taps).enumerate() {
                    let g = gradient_if_source(g, tap);
                    row_g += g;
                    row_gx += g * saved.input[source_index(top_left, ox, tap, width)];
                }
                sum_g += f64::from(row_g);
                sum_gx += f64::from(row_gx);
            },
        );
        // sum(g * x^) = inv_std * (sum(g * x) - mean * sum(g))
        let sum_gx = f64::from(inv_std) * (sum_gx - f64::from(mean) * sum_g);
        // dx = k * (g - dbeta / M - (x - mean) * inv_std * dgamma / M) = k * g + a * x + b
        let m = per_channel as f64;
        let k = saved.gamma[c] * inv_std;
        let slope = -(sum_gx / m) as f32 * inv_std;
        let a = k * slope;
        let b = k * (-(sum_g / m) as f32 - slope * mean);
        let base = grad_input.len();
        grad_input.extend(values.iter().map(|&x| a * x + b));
        let target = &mut grad_input[base..];
        for_each_pooled_row(
            grad,
            saved.taps,
            shape,
            saved.layout,
            c,
            |top_left, g, taps| {
                for (ox, (&g, &tap)) in g.iter().zip(taps).enumerate() {
                    target[source_index(top_left - base, ox, tap, width)] +=
                        k * gradient_if_source(g, tap);
                }
            },
        );
        dgamma.push(sum_gx as f32);
        dbeta.push(sum_g as f32);
    }
    (grad_input, dgamma, dbeta)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic values with ties and negatives: small integers, so that sums of a few
    /// products are exact.
    pub(crate) fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let h = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 27;
                h as f32 - 12.0
            })
            .collect()
    }

    fn shape(c: usize, n: usize, h: usize, w: usize) -> Planes {
        Planes::from_dims([c, n, h, w])
    }

    /// The direct definition: cols[(c, ky, kx), (n, y, x)] = x[c, n, y + ky - 1, x + kx - 1].
    fn im2col_naive(input: &[f32], s: Planes) -> Vec<f32> {
        let mut cols = Vec::new();
        for c in 0..s.channels {
            for ky in 0..3 {
                for kx in 0..3 {
                    for n in 0..s.images {
                        for y in 0..s.height {
                            for x in 0..s.width {
                                let (sy, sx) = (y + ky, x + kx);
                                let inside =
                                    (1..=s.height).contains(&sy) && (1..=s.width).contains(&sx);
                                cols.push(if inside {
                                    let idx =
                                        ((c * s.images + n) * s.height + sy - 1) * s.width + sx - 1;
                                    input[idx]
                                } else {
                                    0.0
                                });
                            }
                        }
                    }
                }
            }
        }
        cols
    }

    #[test]
    fn im2col_matches_its_definition() {
        for s in [
            shape(2, 3, 5, 4),
            shape(1, 2, 1, 1),
            shape(3, 1, 2, 7),
            shape(1, 1, 3, 1),
            shape(2, 2, 1, 5),
            shape(1, 3, 14, 14),
        ] {
            let x = values(s.len(), 7);
            assert_eq!(im2col_3x3(&x, s), im2col_naive(&x, s), "{s:?}");
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), g> == <x, col2im(g)> for every x and g: exact here (small integers).
        for s in [shape(2, 3, 5, 4), shape(1, 2, 1, 1), shape(3, 1, 2, 7)] {
            let x = values(s.len(), 1);
            let g = values(s.len() * 9, 2);
            let lhs: f32 = im2col_3x3(&x, s).iter().zip(&g).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&col2im_3x3(&g, s)).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs, "{s:?}");
        }
    }

    #[test]
    fn the_input_gradient_in_chunks_equals_the_whole_product_folded_back() {
        // 32 channels of 14x14 in 9 images: four images a chunk, so three chunks, the last
        // of one image.
        let shape = ConvShape {
            input: shape(32, 9, 14, 14),
            out_channels: 8,
        };
        let grad = values(8 * shape.pixels(), 3);
        let weight = values(8 * shape.taps(), 4);
        let whole = product(
            MatRef::row_major(&weight, 8, shape.taps()).t(),
            MatRef::row_major(&grad, 8, shape.pixels()),
        );
        let expected = col2im_3x3(&whole, shape.input);
        assert_eq!(input_gradient(&grad, &weight, shape), expected);
    }

    /// The pooling with no affine map.
    fn pool(input: &[f32], s: Planes, layout: PooledLayout) -> (Vec<f32>, Vec<u8>) {
        let (ones, zeros) = (vec![1.0; s.channels], vec![0.0; s.channels]);
        let affine = Affine {
            scale: &ones,
            shift: &zeros,
        };
        affine_relu_max_pool_2x2(input, s, affine, layout)
    }

    /// Each source position with its gradient, as the backward routes them.
    fn routed(grad: &[f32], taps: &[u8], s: Planes, layout: PooledLayout) -> Vec<(usize, f32)> {
        let mut found = Vec::new();
        for c in 0..s.channels {
            for_each_pooled_row(grad, taps, s, layout, c, |top_left, g, taps| {
                for (ox, (&g, &tap)) in g.iter().zip(taps).enumerate() {
                    if tap != NO_SOURCE {
                        found.push((source_index(top_left, ox, tap, s.width), g));
                    }
                }
            });
        }
        found.sort_by_key(|&(p, _)| p);
        found
    }

    #[test]
    fn pooling_takes_the_positive_maximum_of_each_window() {
        // One channel, one image, 3x5: the last row and column are dropped.
        let x = [
            1.0, 5.0, -1.0, -2.0, 9.0, //
            3.0, 5.0, -3.0, -1.0, 9.0, //
            9.0, 9.0, 9.0, 9.0, 9.0,
        ];
        let s = shape(1, 1, 3, 5);
        let (out, taps) = pool(&x, s, PooledLayout::ChannelMajor);
        assert_eq!(out, vec![5.0, 0.0]);
        // The first of the tied fives; the all-negative window has no source.
        assert_eq!(taps, vec![1, NO_SOURCE]);
        assert_eq!(
            routed(&[2.0, 3.0], &taps, s, PooledLayout::ChannelMajor),
            vec![(1, 2.0)]
        );
    }

    #[test]
    fn the_affine_map_applies_before_the_maximum() {
        // A negative scale turns the minimum into the maximum.
        let x = [1.0, 4.0, 2.0, 3.0];
        let affine = Affine {
            scale: &[-2.0],
            shift: &[10.0],
        };
        let (out, taps) =
            affine_relu_max_pool_2x2(&x, shape(1, 1, 2, 2), affine, PooledLayout::ChannelMajor);
        assert_eq!((out, taps), (vec![8.0], vec![0]));
    }

    #[test]
    fn image_major_pooling_reorders_the_planes() {
        let s = shape(3, 2, 4, 4);
        let x = values(s.len(), 3);
        let (channel_major, taps_c) = pool(&x, s, PooledLayout::ChannelMajor);
        let (image_major, taps_i) = pool(&x, s, PooledLayout::ImageMajor);
        let mut g_channel_major = vec![0.0; image_major.len()];
        let g = values(image_major.len(), 5);
        for c in 0..3 {
            for n in 0..2 {
                let a = (c * 2 + n) * 4;
                let b = (n * 3 + c) * 4;
                assert_eq!(channel_major[a..a + 4], image_major[b..b + 4]);
                assert_eq!(taps_c[a..a + 4], taps_i[b..b + 4]);
                g_channel_major[a..a + 4].copy_from_slice(&g[b..b + 4]);
            }
        }
        assert_eq!(
            routed(&g, &taps_i, s, PooledLayout::ImageMajor),
            routed(&g_channel_major, &taps_c, s, PooledLayout::ChannelMajor)
        );
    }

    #[test]
    fn pooling_keeps_nan() {
        let (out, _) = pool(
            &[-1.0, -1.0, f32::NAN, -1.0],
            shape(1, 1, 2, 2),
            PooledLayout::ChannelMajor,
        );
        assert!(out[0].is_nan());
    }

    /// relu(max_pool(batch_norm(x))) in f64, weighted by `w` and summed: the loss the gradient
    /// check differentiates.
    fn norm_pool_loss(x: &[f64], gamma: &[f64], beta: &[f64], s: Planes, w: &[f64]) -> f64 {
        let m = s.images * s.plane();
        let mut y = vec![0.0; x.len()];
        for c in 0..s.channels {
            let v = &x[c * m..(c + 1) * m];
            let mean = v.iter().sum::<f64>() / m as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / m as f64;
            for (i, x) in v.iter().enumerate() {
                y[c * m + i] = (x - mean) / (var + EPS).sqrt() * gamma[c] + beta[c];
            }
        }
        let (ph, pw) = (s.height / 2, s.width / 2);
        let mut loss = 0.0;
        let mut k = 0;
        for plane in y.chunks(s.plane()) {
            for oy in 0..ph {
                for ox in 0..pw {
                    let at = |dy: usize, dx: usize| plane[(2 * oy + dy) * s.width + 2 * ox + dx];
                    let max = at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1));
                    loss += w[k] * max.max(0.0);
                    k += 1;
                }
            }
        }
        loss
    }

    const EPS: f64 = 1e-5;

    #[test]
    fn batch_norm_pooling_gradients_match_finite_differences() {
        let s = shape(2, 3, 4, 6);
        // Distinct values (no ties, no kinks within the finite-difference step).
        let x: Vec<f64> = (0..s.len())
            .map(|i| ((i * 37 % 101) as f64 - 50.0) / 17.0)
            .collect();
        let gamma = [1.3, -0.7];
        let beta = [0.2, 0.4];
        let w: Vec<f64> = (0..s.len() / 4)
            .map(|i| ((i * 13 % 7) as f64) - 2.5)
            .collect();

        // The kernels, in f32.
        let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (mean, var) = channel_statistics(&xf, s);
        let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + EPS as f32).sqrt()).collect();
        let gammaf = gamma.map(|v| v as f32);
        let scale: Vec<f32> = (0..2).map(|c| gammaf[c] * inv_std[c]).collect();
        let shift: Vec<f32> = (0..2)
            .map(|c| beta[c] as f32 - mean[c] * scale[c])
            .collect();
        let affine = Affine {
            scale: &scale,
            shift: &shift,
        };
        let (_, taps) = affine_relu_max_pool_2x2(&xf, s, affine, PooledLayout::ImageMajor);
        let wf: Vec<f32> = w.iter().map(|&v| v as f32).collect();
        // The weights are given per output in the channel-major order the f64 loss uses;
        // image-major outputs reorder them.
        let mut grad = vec![0.0f32; wf.len()];
        let pooled = 2 * 3;
        for c in 0..2 {
            for n in 0..3 {
                let (a, b) = ((c * 3 + n) * pooled, (n * 2 + c) * pooled);
                grad[b..b + pooled].copy_from_slice(&wf[a..a + pooled]);
            }
        }
        let saved = NormPoolInputs {
            input: &xf,
            shape: s,
            layout: PooledLayout::ImageMajor,
            taps: &taps,
            mean: &mean,
            inv_std: &inv_std,
            gamma: &gammaf,
        };
        let (dx, dgamma, dbeta) = batch_norm_relu_max_pool_2x2_backward(&grad, &saved);

        // Central differences in f64.
        let h = 1e-6;
        let close = |analytic: f32, numeric: f64, what: &str| {
            assert!(
                (f64::from(analytic) - numeric).abs() <= 1e-3 * numeric.abs().max(1.0),
                "{what}: {analytic} vs {numeric}"
            );
        };
        for i in 0..x.len() {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (norm_pool_loss(&up, &gamma, &beta, s, &w)
                - norm_pool_loss(&down, &gamma, &beta, s, &w))
                / (2.0 * h);
            close(dx[i], numeric, &format!("dx[{i}]"));
        }
        for c in 0..2 {
            let (mut up, mut down) = (gamma, gamma);
            up[c] += h;
            down[c] -= h;
            let numeric = (norm_pool_loss(&x, &up, &beta, s, &w)
                - norm_pool_loss(&x, &down, &beta, s, &w))
                / (2.0 * h);
            close(dgamma[c], numeric, "dgamma");
            let (mut up, mut down) = (beta, beta);
            up[c] += h;
            down[c] -= h;
            let numeric = (norm_pool_loss(&x, &gamma, &up, s, &w)
                - norm_pool_loss(&x, &gamma, &down, s, &w))
                / (2.0 * h);
            close(dbeta[c], numeric, "dbeta");
        }
        assert!(dx.iter().any(|&v| v.abs() > 1e-3));
    }
}
