//! 3x3 convolutions (stride 1, padding 1) by Winograd's minimal filtering F(2x2, 3x3)
//! (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016).
//!
//! Each 2x2 block of outputs comes from the 4x4 block of inputs around it as
//!
//! ```text
//! Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
//!
//!        | 1  0 -1  0 |         | 1    0    0  |
//! B^T =  | 0  1  1  0 |    G =  | 1/2  1/2  1/2 |    A^T = | 1  1  1  0 |
//!        | 0 -1  1  0 |         | 1/2 -1/2  1/2 |          | 0  1 -1 -1 |
//!        | 0  1  0 -1 |         | 0    0    1  |
//! ```
//!
//! with 16 multiplications where the direct sum takes 36. Over channels, the 16 element-wise
//! products become 16 matrix products `U[p] (C_out x C_in) x V[p] (C_in x tiles)`, one per
//! point `p` of the 4x4 transformed tile: 2.25 times fewer multiply-adds than im2col's one
//! product, for the price of the transforms (additions only, on data in cache). The sums run
//! in another order than the direct convolution's, so the values differ from it by rounding
//! (tested against it).
//!
//! The same routine gives a convolution's input gradient: the full correlation of the output
//! gradient with the weight flipped and its channels swapped ([`flipped`]).

use std::ops::Range;

use crate::planes::{Planes, wide};
use crate::product::{MatRef, matmul};

/// Whether a convolution over `channels` input channels runs faster by Winograd's algorithm
/// than by im2col and one product: from 16 channels on, where the 16 products outweigh the
/// transforms (measured at 32 and 64: docs/performance.md). The reference CNN's second
/// convolution and its input gradient take it; the first (one input channel) does not.
pub fn pays(channels: usize) -> bool {
    channels >= 16
}

/// Points of a transformed tile: 4 x 4.
const POINTS: usize = 16;

/// Values of the transformed inputs and products held at once (2 MiB): a few images at a time,
/// so that the transforms and the products pass them on through the caches rather than
/// memory (6 images of the reference CNN's second convolution; measured against 1 and 4 MiB).
const CHUNK_VALUES: usize = 1 << 19;

/// `G g G^T` for every `(output, input)` channel pair of `weight` (`[C_out, C_in, 3, 3]`):
/// `[16, C_out, C_in]`, point-major.
#[inline(always)] // Into the caller's vector width (`wide`).
fn transformed_filters(weight: &[f32], c_out: usize, c_in: usize) -> Vec<f32> {
    let mut u = vec![0.0f32; POINTS * c_out * c_in];
    let g_rows = |[a, b, c]: [f32; 3]| [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c];
    for o in 0..c_out {
        for i in 0..c_in {
            let g = &weight[(o * c_in + i) * 9..][..9];
            // G g: 4 x 3, column by column.
            let columns: [[f32; 4]; 3] =
                std::array::from_fn(|x| g_rows([g[x], g[3 + x], g[6 + x]]));
            // (G g) G^T: row r of G g through G.
            for r in 0..4 {
                let row = g_rows([columns[0][r], columns[1][r], columns[2][r]]);
                for (s, value) in row.into_iter().enumerate() {
                    u[((r * 4 + s) * c_out + o) * c_in + i] = value;
                }
            }
        }
    }
    u
}

/// The weight of a convolution's input gradient: `w'[i, o, ky, kx] = w[o, i, 2 - ky, 2 - kx]`
/// for `weight` `[C_out, C_in, 3, 3]`; `[C_in, C_out, 3, 3]`.
pub fn flipped(weight: &[f32], c_out: usize, c_in: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; weight.len()];
    for o in 0..c_out {
        for i in 0..c_in {
            let src = &weight[(o * c_in + i) * 9..][..9];
            let dst = &mut out[(i * c_out + o) * 9..][..9];
            for (tap, value) in dst.iter_mut().enumerate() {
                *value = src[8 - tap];
            }
        }
    }
    out
}

/// The tiles of one plane, 2 x 2 outputs each (the last row or column of tiles half outside an
/// odd-sized plane), numbered row by row: the products' numbering. Inside a plane the
/// transforms also number them with one extra tile per row (see [`transform_input`]).
#[derive(Debug, Clone, Copy)]
struct Tiles {
    rows: usize,
    columns: usize,
}

impl Tiles {
    fn of(shape: Planes) -> Self {
        Self {
            rows: shape.height.div_ceil(2),
            columns: shape.width.div_ceil(2),
        }
    }

    /// Tiles of one image.
    fn per_image(self) -> usize {
        self.rows * self.columns
    }

    /// From one tile row to the next in the numbering with an extra tile per row.
    fn stride(self) -> usize {
        self.columns + 1
    }

    /// Tiles of one image in the numbering with an extra tile per row.
    fn wide(self) -> usize {
        self.rows * self.stride()
    }

    /// Runs `op` over the tiles of one plane, element by element, from slices `x` in the
    /// numbering with an extra tile per row into slices `out` in the products' numbering (each
    /// starting at the plane's first tile). A tile row of up to 7 columns is one run of
    /// [`LANES`]: its extra tile is written too, onto the next row's first tile, which the
    /// next row (or the next plane) writes afterwards; where `out` ends there, the extra tile
    /// is left out.
    #[inline(always)]
    fn compact<const I: usize, const O: usize>(
        self,
        x: [&[f32]; I],
        mut out: [&mut [f32]; O],
        op: impl Fn([f32; I]) -> [f32; O] + Copy,
    ) {
        let room = out.iter().map(|o| o.len()).min().unwrap_or(0);
        for ty in 0..self.rows {
            let (from, to) = (ty * self.stride(), ty * self.columns);
            let len = if to + self.stride() <= room {
                self.stride()
            } else {
                self.columns
            };
            by_lanes(
                x.map(|x| &x[from..from + len]),
                out.each_mut().map(|o| &mut o[to..to + len]),
                op,
            );
        }
    }
}

/// `B^T d B` of every tile of `images` in `input` (`[C, N, H, W]`), into `v` as
/// `[16, C, tiles]`.
///
/// Each plane is first split into its four phases, `q[a][b][i][j] = padded[2i + a][2j + b]`
/// (rows of `columns + 1`): the input `d[r][s]` of tile `(ty, tx)` is then
/// `q[r % 2][s % 2][ty + r / 2][tx + s / 2]`, so over the tiles of a plane, numbered
/// `f = ty * (columns + 1) + tx`, every `d[r][s]` is a contiguous window of a phase, and the
/// first pass (`B^T` along the rows of the tiles) runs over whole slices; the second (down the
/// columns) writes the tiles in the products' numbering ([`Tiles::compact`]).
#[inline(always)] // Into the caller's vector width (`wide`).
fn transform_input(input: &[f32], shape: Planes, images: Range<usize>, v: &mut [f32]) {
    let (h, w) = (shape.height, shape.width);
    let grid = Tiles::of(shape);
    let (stride, per_image, wide) = (grid.stride(), grid.per_image(), grid.wide());
    let tiles = images.len() * per_image;
    // A phase, and one more value the last window reaches.
    let phase_len = (grid.rows + 1) * stride + 1;
    // The phases; the positions of the zero border are never written.
    let mut phases = vec![0.0f32; 4 * phase_len];
    // `B^T` along the rows of every tile: `[4 (r), 4 (j), wide]`.
    let mut across = vec![0.0f32; POINTS * wide];
    let mut rows: Vec<&mut [f32]> = v.chunks_exact_mut(tiles).collect();
    for c in 0..shape.channels {
        for (local, n) in images.clone().enumerate() {
            let plane = &input[(c * shape.images + n) * h * w..][..h * w];
            for (y, row) in plane.chunks_exact(w).enumerate() {
                // Padded row y + 1 is phase row (y + 1) / 2 of the phases (y + 1) % 2; padded
                // column x + 1, column (x + 1) / 2 of column phase (x + 1) % 2.
                let padded = y + 1;
                let (a, i) = (padded % 2, padded / 2);
                let at = a * 2 * phase_len + i * stride;
                let (even, odd) = phases[at..].split_at_mut(phase_len);
                let pairs = row.chunks_exact(2);
                if let [last] = pairs.remainder() {
                    odd[w / 2] = *last;
                }
                let (odd, even) = (&mut odd[..w / 2], &mut even[1..][..w / 2]);
                for ((pair, odd), even) in pairs.zip(odd).zip(even) {
                    (*odd, *even) = (pair[0], pair[1]);
                }
            }
            let d = |r: usize, s: usize| {
                let phase = (r % 2) * 2 + s % 2;
                &phases[phase * phase_len + (r / 2) * stride + s / 2..][..wide]
            };
            for (r, out) in across.chunks_exact_mut(4 * wide).enumerate() {
                let mut out = out.chunks_exact_mut(wide);
                b_transpose(
                    [d(r, 0), d(r, 1), d(r, 2), d(r, 3)],
                    std::array::from_fn(|_| out.next().expect("4 rows")),
                );
            }
            let first = local * per_image;
            for j in 0..4 {
                let t = |r: usize| &across[(r * 4 + j) * wide..][..wide];
                let [o0, o1, o2, o3] = [0, 1, 2, 3].map(|i| (i * 4 + j) * shape.channels + c);
                // Four distinct rows of `v`, borrowed at once.
                let [r0, r1, r2, r3] = rows
                    .get_disjoint_mut([o0, o1, o2, o3])
                    .expect("four distinct points");
                grid.compact(
                    [t(0), t(1), t(2), t(3)],
                    [r0, r1, r2, r3].map(|row| &mut row[first..]),
                    b_rows,
                );
            }
        }
    }
}

/// `B^T x` element by element.
#[inline(always)]
fn b_transpose(x: [&[f32]; 4], out: [&mut [f32]; 4]) {
    by_lanes(x, out, b_rows);
}

/// `B^T x`: `[a - c, b + c, c - b, b - d]`.
#[inline(always)]
fn b_rows([a, b, c, d]: [f32; 4]) -> [f32; 4] {
    [a - c, b + c, c - b, b - d]
}

/// Lanes the element-wise transforms work in at a time: loops of a plane's tiles are short
/// (56 for 14 x 14), and written as whole vectors of 8 they compile to one vector operation
/// each, where a loop left to the compiler would be unrolled past its length.
const LANES: usize = 8;

/// `out[k][f] = op(x[0][f], ..)[k]` for every `f`, [`LANES`] at a time.
#[inline(always)]
fn by_lanes<const I: usize, const O: usize>(
    x: [&[f32]; I],
    out: [&mut [f32]; O],
    op: impl Fn([f32; I]) -> [f32; O] + Copy,
) {
    let len = out[0].len();
    let x = x.map(|x| &x[..len]);
    let mut out = out.map(|o| &mut o[..len]);
    let whole = len / LANES * LANES;
    for start in (0..whole).step_by(LANES) {
        let inputs: [[f32; LANES]; I] =
            std::array::from_fn(|i| x[i][start..start + LANES].try_into().expect("whole lanes"));
        let results: [[f32; O]; LANES] =
            std::array::from_fn(|lane| op(std::array::from_fn(|i| inputs[i][lane])));
        for (k, out) in out.iter_mut().enumerate() {
            let out: &mut [f32; LANES] = (&mut out[start..start + LANES])
                .try_into()
                .expect("whole lanes");
            *out = std::array::from_fn(|lane| results[lane][k]);
        }
    }
    for f in whole..len {
        let results = op(std::array::from_fn(|i| x[i][f]));
        for (k, out) in out.iter_mut().enumerate() {
            out[f] = results[k];
        }
    }
}

/// `A^T m A` of every tile of `images` from the products `m` (`[16, C_out, tiles]`), plus
/// `bias`, written into `out` (`[C_out, N, H, W]`).
#[inline(always)] // Into the caller's vector width (`wide`).
fn transform_output(
    m: &[f32],
    shape: Planes,
    c_out: usize,
    images: Range<usize>,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let (h, w) = (shape.height, shape.width);
    let grid = Tiles::of(shape);
    let per_image = grid.per_image();
    let tiles = images.len() * per_image;
    // `A^T` down the columns: `[2 (row), 4 (s), tiles]`, then `A` along the rows:
    // `[2 (row), 2 (column), tiles]`.
    let mut down = vec![0.0f32; 8 * tiles];
    let mut y = vec![0.0f32; 4 * tiles];
    for o in 0..c_out {
        let b = bias.map_or(0.0, |bias| bias[o]);
        let p = |point: usize| &m[(point * c_out + o) * tiles..][..tiles];
        let (upper, lower) = down.split_at_mut(4 * tiles);
        for (s, (upper, lower)) in upper
            .chunks_exact_mut(tiles)
            .zip(lower.chunks_exact_mut(tiles))
            .enumerate()
        {
            a_transpose([p(s), p(4 + s), p(8 + s), p(12 + s)], [upper, lower], 0.0);
        }
        for (row, y) in down
            .chunks_exact(4 * tiles)
            .zip(y.chunks_exact_mut(2 * tiles))
        {
            let r = |s: usize| &row[s * tiles..][..tiles];
            let (left, right) = y.split_at_mut(tiles);
            a_transpose([r(0), r(1), r(2), r(3)], [left, right], b);
        }
        let y = |row: usize, column: usize| &y[(row * 2 + column) * tiles..][..tiles];
        for (local, n) in images.clone().enumerate() {
            let plane = &mut out[(o * shape.images + n) * h * w..][..h * w];
            for (py, line) in plane.chunks_exact_mut(w).enumerate() {
                let t = local * per_image + py / 2 * grid.columns;
                let (left, right) = (&y(py % 2, 0)[t..], &y(py % 2, 1)[t..]);
                let mut pairs = line.chunks_exact_mut(2);
                for ((pair, &l), &r) in pairs.by_ref().zip(left).zip(right) {
                    (pair[0], pair[1]) = (l, r);
                }
                if let [last] = pairs.into_remainder() {
                    *last = left[w / 2];
                }
            }
        }
    }
}

/// `A^T x` element by element, plus `shift`: `[a + b + c + shift, b - c - d + shift]`.
#[inline(always)]
fn a_transpose([a, b, c, d]: [&[f32]; 4], [o0, o1]: [&mut [f32]; 2], shift: f32) {
    by_lanes([a, b, c, d], [o0, o1], move |[a, b, c, d]| {
        [a + b + c + shift, b - c - d + shift]
    });
}

/// A 3x3 convolution (stride 1, padding 1) of `input` (`[C_in, N, H, W]`) with `weight`
/// (`[C_out, C_in, 3, 3]`) plus `bias` (`[C_out]`, or none): `[C_out, N, H, W]`.
pub fn conv_3x3(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    shape: Planes,
    c_out: usize,
) -> Vec<f32> {
    wide(
        #[inline(always)]
        || conv_3x3_body(input, weight, bias, shape, c_out),
    )
}

#[inline(always)]
fn conv_3x3_body(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    shape: Planes,
    c_out: usize,
) -> Vec<f32> {
    let c_in = shape.channels;
    let mut out = vec![0.0f32; c_out * shape.images * shape.height * shape.width];
    if out.is_empty() {
        return out;
    }
    let u = transformed_filters(weight, c_out, c_in);
    let per_image = Tiles::of(shape).per_image();
    let per_chunk = (CHUNK_VALUES / (POINTS * per_image * (c_in + c_out))).clamp(1, shape.images);
    let mut v = vec![0.0f32; POINTS * c_in * per_chunk * per_image];
    let mut m = vec![0.0f32; POINTS * c_out * per_chunk * per_image];
    for first in (0..shape.images).step_by(per_chunk) {
        let images = first..(first + per_chunk).min(shape.images);
        let tiles = images.len() * per_image;
        let v = &mut v[..POINTS * c_in * tiles];
        let m = &mut m[..POINTS * c_out * tiles];
        transform_input(input, shape, images.clone(), v);
        for p in 0..POINTS {
            matmul(
                &mut m[p * c_out * tiles..][..c_out * tiles],
                MatRef::row_major(&u[p * c_out * c_in..][..c_out * c_in], c_out, c_in),
                MatRef::row_major(&v[p * c_in * tiles..][..c_in * tiles], c_in, tiles),
                false,
            );
        }
        transform_output(m, shape, c_out, images, bias, &mut out);
    }
    out
}

/// The weight gradient of [`conv_3x3`] (without bias) from its input (`[C_in, N, H, W]`) and
/// the gradient of its output (`[C_out, N, H, W]`): `[C_out, C_in, 3, 3]`.
///
/// The forward's products `M[p] = U[p] V[p]` give `dU[p] = dM[p] V[p]^T`, summed over the
/// tiles (16 products `[C_out, tiles] x [tiles, C_in]`), with `dM = A dY A^T` the output
/// gradient of each tile spread back over its 16 points, and `dW = G^T dU G`.
pub fn weight_gradient(input: &[f32], grad: &[f32], shape: Planes, c_out: usize) -> Vec<f32> {
    wide(
        #[inline(always)]
        || weight_gradient_body(input, grad, shape, c_out),
    )
}

#[inline(always)]
fn weight_gradient_body(input: &[f32], grad: &[f32], shape: Planes, c_out: usize) -> Vec<f32> {
    let c_in = shape.channels;
    let mut du = vec![0.0f32; POINTS * c_out * c_in];
    let per_image = Tiles::of(shape).per_image();
    if shape.images > 0 && per_image > 0 {
        let per_chunk =
            (CHUNK_VALUES / (POINTS * per_image * (c_in + c_out))).clamp(1, shape.images);
        let mut v = vec![0.0f32; POINTS * c_in * per_chunk * per_image];
        let mut dm = vec![0.0f32; POINTS * c_out * per_chunk * per_image];
        let grad_shape = Planes {
            channels: c_out,
            ..shape
        };
        for first in (0..shape.images).step_by(per_chunk) {
            let images = first..(first + per_chunk).min(shape.images);
            let tiles = images.len() * per_image;
            let v = &mut v[..POINTS * c_in * tiles];
            let dm = &mut dm[..POINTS * c_out * tiles];
            transform_input(input, shape, images.clone(), v);
            transform_gradient(grad, grad_shape, images, dm);
            for p in 0..POINTS {
                matmul(
                    &mut du[p * c_out * c_in..][..c_out * c_in],
                    MatRef::row_major(&dm[p * c_out * tiles..][..c_out * tiles], c_out, tiles),
                    MatRef::row_major(&v[p * c_in * tiles..][..c_in * tiles], c_in, tiles).t(),
                    first > 0,
                );
            }
        }
    }
    // G^T dU G for every channel pair: down the columns, then along the rows.
    let g_transpose =
        |[a, b, c, d]: [f32; 4]| [a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d];
    let mut out = vec![0.0f32; c_out * c_in * 9];
    for (pair, out) in out.chunks_exact_mut(9).enumerate() {
        let point = |p: usize| du[p * c_out * c_in + pair];
        let columns: [[f32; 3]; 4] = std::array::from_fn(|j| {
            g_transpose([point(j), point(4 + j), point(8 + j), point(12 + j)])
        });
        for u in 0..3 {
            let row = g_transpose([columns[0][u], columns[1][u], columns[2][u], columns[3][u]]);
            out[u * 3..u * 3 + 3].copy_from_slice(&row);
        }
    }
    out
}

/// `A dY A^T` of every tile of `images` in `grad` (`[C_out, N, H, W]`, the gradient of the
/// convolution's output), into `dm` as `[16, C_out, tiles]`, numbered as [`transform_input`]
/// numbers them: the extra tile of each row, and the outputs outside an odd-sized plane, zero.
#[inline(always)] // Into the caller's vector width (`wide`).
fn transform_gradient(grad: &[f32], shape: Planes, images: Range<usize>, dm: &mut [f32]) {
    let (h, w) = (shape.height, shape.width);
    let grid = Tiles::of(shape);
    let (stride, per_image, wide) = (grid.stride(), grid.per_image(), grid.wide());
    let tiles = images.len() * per_image;
    // The four phases of a plane, `q[a][b][ty][tx] = grad[2ty + a][2tx + b]`, in the numbering
    // with an extra tile per row; the positions outside the plane are never written.
    let mut phases = vec![0.0f32; 4 * wide];
    let mut across = vec![0.0f32; 8 * wide];
    let mut rows: Vec<&mut [f32]> = dm.chunks_exact_mut(tiles).collect();
    for c in 0..shape.channels {
        for (local, n) in images.clone().enumerate() {
            let plane = &grad[(c * shape.images + n) * h * w..][..h * w];
            for (y, row) in plane.chunks_exact(w).enumerate() {
                let at = (y % 2 * 2) * wide + y / 2 * stride;
                let (even, odd) = phases[at..].split_at_mut(wide);
                let pairs = row.chunks_exact(2);
                if let [last] = pairs.remainder() {
                    even[w / 2] = *last;
                }
                let (even, odd) = (&mut even[..w / 2], &mut odd[..w / 2]);
                for ((pair, even), odd) in pairs.zip(even).zip(odd) {
                    (*even, *odd) = (pair[0], pair[1]);
                }
            }
            let q = |phase: usize| &phases[phase * wide..][..wide];
            // A along each row of the 2 x 2 block (`across`: `[2 (a), 4 (j), per_image]`),
            // then down the columns into the 16 points.
            for (a, out) in across.chunks_exact_mut(4 * wide).enumerate() {
                let mut out = out.chunks_exact_mut(wide);
                a_spread(
                    [q(2 * a), q(2 * a + 1)],
                    std::array::from_fn(|_| out.next().expect("4 columns")),
                );
            }
            let first = local * per_image;
            for j in 0..4 {
                let r = |a: usize| &across[(a * 4 + j) * wide..][..wide];
                let targets = [0, 1, 2, 3].map(|i| (i * 4 + j) * shape.channels + c);
                let outputs = rows
                    .get_disjoint_mut(targets)
                    .expect("four distinct points")
                    .map(|row| &mut row[first..]);
                grid.compact([r(0), r(1)], outputs, a_columns);
            }
        }
    }
}

/// `A x` element by element for 2-vectors `x`.
#[inline(always)]
fn a_spread(x: [&[f32]; 2], out: [&mut [f32]; 4]) {
    by_lanes(x, out, a_columns);
}

/// `A x` for the 2-vector `x = (x, y)`: `[x, x + y, x - y, -y]`.
#[inline(always)]
fn a_columns([x, y]: [f32; 2]) -> [f32; 4] {
    [x, x + y, x - y, -y]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lowered::{ConvShape, col2im_3x3, im2col_3x3};
    use crate::product::product;

    /// The host kernels' test values, scaled into about [-1, 1].
    fn values(len: usize, seed: u32) -> Vec<f32> {
        crate::lowered::tests::values(len, seed)
            .into_iter()
            .map(|v| v / 16.0)
            .collect()
    }

    /// `got` and `want` agree element by element to 1e-4 of `scale` (at least 1).
    fn assert_close(got: &[f32], want: &[f32], scale: f32, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-4 * scale.max(1.0), "{what}: {g} vs {w}");
        }
    }

    fn largest(values: &[f32]) -> f32 {
        values.iter().fold(0.0f32, |m, v| m.max(v.abs()))
    }

    /// The direct definition in f64.
    fn direct(input: &[f32], weight: &[f32], bias: &[f32], s: Planes, c_out: usize) -> Vec<f64> {
        let (h, w) = (s.height, s.width);
        let mut out = vec![0.0f64; c_out * s.images * h * w];
        for o in 0..c_out {
            for n in 0..s.images {
                for y in 0..h {
                    for x in 0..w {
                        let mut sum = bias[o] as f64;
                        for i in 0..s.channels {
                            for ky in 0..3 {
                                for kx in 0..3 {
                                    let (sy, sx) = (y + ky, x + kx);
                                    if (1..=h).contains(&sy) && (1..=w).contains(&sx) {
                                        let xv =
                                            input[((i * s.images + n) * h + sy - 1) * w + sx - 1];
                                        let wv = weight[((o * s.channels + i) * 3 + ky) * 3 + kx];
                                        sum += xv as f64 * wv as f64;
                                    }
                                }
                            }
                        }
                        out[((o * s.images + n) * h + y) * w + x] = sum;
                    }
                }
            }
        }
        out
    }

    /// `([C_in, N, H, W], C_out)` of every test: even and odd planes, tile rows longer than a
    /// run of lanes (9 tiles), and the reference CNN's second convolution over two chunks of
    /// images.
    const SHAPES: [([usize; 4], usize); 5] = [
        ([3, 2, 6, 6], 4),
        ([2, 3, 5, 7], 16),
        ([1, 1, 1, 1], 2),
        ([2, 2, 3, 17], 3),
        ([32, 9, 14, 14], 64),
    ];

    fn shapes() -> impl Iterator<Item = (Planes, usize)> {
        SHAPES
            .into_iter()
            .map(|(dims, c_out)| (Planes::from_dims(dims), c_out))
    }

    #[test]
    fn winograd_matches_the_direct_convolution() {
        // And 14 tiles a row.
        let wider = (Planes::from_dims([1, 2, 28, 28]), 2);
        for (s, c_out) in shapes().chain([wider]) {
            let x = values(s.len(), 1);
            let wt = values(c_out * s.channels * 9, 2);
            let b = values(c_out, 3);
            let want = direct(&x, &wt, &b, s, c_out);
            let got = conv_3x3(&x, &wt, Some(&b), s, c_out);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (*g as f64 - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{s:?}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn both_gradients_match_im2col() {
        // The input gradient is the full correlation of the output's gradient with the flipped
        // weight: against im2col's `W^T g` folded back. The weight gradient, from the input
        // and the output's gradient: against `g x cols^T`. Odd sizes (tiles half outside the
        // plane) and several chunks of images included.
        for (s, c_out) in shapes() {
            let shape = ConvShape {
                input: s,
                out_channels: c_out,
            };
            let (x, grad) = (values(s.len(), 7), values(c_out * shape.pixels(), 8));
            let weight = values(c_out * shape.taps(), 6);
            let taps_x_pixels = |data| MatRef::row_major(data, shape.taps(), shape.pixels());
            let grad_view = MatRef::row_major(&grad, c_out, shape.pixels());

            let columns = product(
                MatRef::row_major(&weight, c_out, shape.taps()).t(),
                grad_view,
            );
            let want = col2im_3x3(&columns, s);
            let planes = Planes {
                channels: c_out,
                ..s
            };
            let flipped = flipped(&weight, c_out, s.channels);
            let got = conv_3x3(&grad, &flipped, None, planes, s.channels);
            assert_close(&got, &want, largest(&want), &format!("input, {s:?}"));

            let cols = im2col_3x3(&x, s);
            let want = product(grad_view, taps_x_pixels(&cols).t());
            let got = weight_gradient(&x, &grad, s, c_out);
            assert_close(&got, &want, largest(&want), &format!("weight, {s:?}"));
        }
    }
}
