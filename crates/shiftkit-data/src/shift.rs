//! Seeded shifts of digit images: the target domains of the robustness suite.
//!
//! Every function here maps grey images with pixels in `[0, 1]` (0 is background, as in
//! MNIST) to images of the same size with pixels in `[0, 1]`. Images are square and
//! row-major; the functions that need the geometry take its `side` (28 for this crate's
//! digits) and check the buffer's length against it.
//!
//! | shift | what it does | function |
//! |---|---|---|
//! | [`DigitShift::Invert`] | `1 - x`: white digits on black become black on white | [`invert`] |
//! | [`DigitShift::Texture`] | the digit cut into a procedural texture, `|t - x|` (MNIST-M-like) | [`texture`], [`blend_difference`] |
//! | [`DigitShift::NoiseBackground`] | uniform noise added, `min(1, x + a u)` | [`add_noise`] |
//! | [`DigitShift::Rotate`] | a turn about the image centre, bilinear | [`rotate`] |
//! | [`DigitShift::Thin`] | grey erosion, the minimum over a small square | [`erode`] |
//! | [`DigitShift::Thicken`] | grey dilation, the maximum over a small square | [`dilate`] |
//!
//! # The texture
//!
//! MNIST-M (Ganin et al., JMLR 2016) blends MNIST digits into patches of natural photographs
//! by `|patch - digit|` per pixel. No photographs ship with this crate, so [`texture`] draws a
//! procedural one from a seed: three octaves of value noise (random values on lattices of
//! 2, 4 and 8 cells across the image, interpolated with smoothstep, weights 4:2:1) mixed with
//! a linear gradient in a random direction (the mixing weight of the noise uniform in
//! `[0.4, 0.8]`), stretched to fill `[0, 1]`, then squeezed into a random brightness window
//! `[low, low + width]` (`low` uniform in `[0, 0.5]`, `width` uniform in `[0.3, 0.5]`). The
//! digit then shows as the absolute difference: dark strokes on bright parts of the texture,
//! bright strokes on dark parts, and faint where the texture is mid-grey.
//!
//! Randomness comes from this crate's SplitMix64; a seed gives the same images on every
//! platform. [`DigitShift::apply`] draws image `i` of a data set from the stream `i` of its
//! seed, so an image's shift does not depend on the images before it.

use crate::digits::DigitDataset;
use crate::error::DataError;
use crate::items::IMAGE_SIDE;
use crate::rng::SplitMix64;

/// Lattice cells across the image of each value-noise octave of [`texture`].
const OCTAVE_CELLS: [usize; 3] = [2, 4, 8];

/// Weight of each octave of [`texture`] (before normalisation).
const OCTAVE_WEIGHTS: [f64; 3] = [4.0, 2.0, 1.0];

/// A shift of digit images (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum DigitShift {
    /// `1 - x` per pixel.
    Invert,
    /// The digit blended into a seeded procedural texture by `|t - x|`.
    Texture,
    /// Uniform noise in `[0, amplitude)` added to every pixel, clipped at 1.
    NoiseBackground {
        /// The largest noise value, in `[0, 1]`.
        amplitude: f32,
    },
    /// A counter-clockwise turn (as the image is seen) about the image centre.
    Rotate {
        /// The angle, in degrees.
        degrees: f64,
    },
    /// Grey erosion with a `size x size` square ([`erode`]): strokes lose `size - 1`
    /// pixels of width.
    Thin {
        /// The square's side, at least 1 (1 changes nothing).
        size: usize,
    },
    /// Grey dilation with a `size x size` square ([`dilate`]): strokes gain `size - 1`
    /// pixels of width.
    Thicken {
        /// The square's side, at least 1 (1 changes nothing).
        size: usize,
    },
}

impl DigitShift {
    /// The shift applied to one square image of side `side`; `seed` drives the random
    /// shifts ([`Texture`](Self::Texture), [`NoiseBackground`](Self::NoiseBackground)) and is
    /// ignored by the others.
    ///
    /// # Errors
    ///
    /// - [`DataError::ImageSize`] when `image.len() != side * side`;
    /// - [`DataError::InvalidAmplitude`] for an amplitude outside `[0, 1]`;
    /// - [`DataError::NonFiniteAngle`] for a NaN or infinite angle;
    /// - [`DataError::InvalidElementSize`] for a thinning or thickening square of side 0.
    pub fn apply_image(
        &self,
        image: &[f32],
        side: usize,
        seed: u64,
    ) -> Result<Vec<f32>, DataError> {
        check_size(image, side)?;
        match *self {
            Self::Invert => Ok(invert(image)),
            Self::Texture => blend_difference(image, &texture(side, seed)),
            Self::NoiseBackground { amplitude } => add_noise(image, amplitude, seed),
            Self::Rotate { degrees } => rotate(image, side, degrees),
            Self::Thin { size } => erode(image, side, size),
            Self::Thicken { size } => dilate(image, side, size),
        }
    }

    /// The shift applied to every image of `data` (labels kept): image `i` with the seed of
    /// stream `i` derived from `seed`.
    ///
    /// # Errors
    ///
    /// As [`apply_image`](Self::apply_image) for a bad amplitude, angle or size.
    pub fn apply(&self, data: &DigitDataset, seed: u64) -> Result<DigitDataset, DataError> {
        let mut pixels = Vec::with_capacity(data.pixels().len());
        for index in 0..data.len() {
            let image = data.image(index).ok_or(DataError::IndexOutOfRange {
                index,
                len: data.len(),
            })?;
            let image_seed = SplitMix64::derived(seed, index as u64).next_u64();
            pixels.extend(self.apply_image(image, IMAGE_SIDE, image_seed)?);
        }
        DigitDataset::new(pixels, data.labels().to_vec())
    }
}

/// `1 - x` per pixel.
///
/// # Shapes
///
/// Any length; the output has the input's length.
pub fn invert(image: &[f32]) -> Vec<f32> {
    image.iter().map(|&x| 1.0 - x).collect()
}

/// `|t - x|` per pixel: the digit `image` blended into `texture` as MNIST-M blends digits into
/// photographs. Both in `[0, 1]` give a result in `[0, 1]`.
///
/// # Errors
///
/// [`DataError::LengthMismatch`] when the two buffers differ in length.
pub fn blend_difference(image: &[f32], texture: &[f32]) -> Result<Vec<f32>, DataError> {
    if image.len() != texture.len() {
        return Err(DataError::LengthMismatch {
            inputs: image.len(),
            labels: texture.len(),
        });
    }
    Ok(image
        .iter()
        .zip(texture)
        .map(|(&x, &t)| (t - x).abs())
        .collect())
}

/// A seeded procedural grey texture, `side x side` row-major, in `[0, 1]` (see the
/// [module docs](self#the-texture)).
pub fn texture(side: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let mut noise = vec![0.0f64; side * side];
    for (&cells, &weight) in OCTAVE_CELLS.iter().zip(&OCTAVE_WEIGHTS) {
        let nodes = cells + 1;
        let lattice: Vec<f64> = (0..nodes * nodes).map(|_| rng.next_f64()).collect();
        for (index, value) in noise.iter_mut().enumerate() {
            let (row, col) = (index / side, index % side);
            let u = (col as f64 + 0.5) / side as f64 * cells as f64;
            let v = (row as f64 + 0.5) / side as f64 * cells as f64;
            *value += weight * value_noise(&lattice, nodes, u, v);
        }
    }
    let angle = std::f64::consts::TAU * rng.next_f64();
    let (sin, cos) = angle.sin_cos();
    let noise_weight = 0.4 + 0.4 * rng.next_f64();
    let low = 0.5 * rng.next_f64();
    let width = 0.3 + 0.2 * rng.next_f64();
    let total_weight: f64 = OCTAVE_WEIGHTS.iter().sum();
    let mixed: Vec<f64> = noise
        .iter()
        .enumerate()
        .map(|(index, &n)| {
            let (row, col) = ((index / side) as f64, (index % side) as f64);
            let centre = (side as f64 - 1.0) / 2.0;
            let gradient = cos * (col - centre) + sin * (row - centre);
            noise_weight * n / total_weight + (1.0 - noise_weight) * gradient / side as f64
        })
        .collect();
    let (min, max) = mixed
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let range = max - min;
    mixed
        .iter()
        .map(|&x| {
            let unit = if range > 0.0 { (x - min) / range } else { 0.5 };
            (low + width * unit).clamp(0.0, 1.0) as f32
        })
        .collect()
}

/// `min(1, x + amplitude * u)` per pixel, `u` uniform in `[0, 1)` from `seed`: a background of
/// noise under the digit, whose bright strokes stay bright.
///
/// # Errors
///
/// [`DataError::InvalidAmplitude`] when `amplitude` is not in `[0, 1]`.
pub fn add_noise(image: &[f32], amplitude: f32, seed: u64) -> Result<Vec<f32>, DataError> {
    if !(0.0..=1.0).contains(&amplitude) {
        return Err(DataError::InvalidAmplitude(amplitude));
    }
    let mut rng = SplitMix64::new(seed);
    Ok(image
        .iter()
        .map(|&x| (x + amplitude * rng.next_f64() as f32).clamp(0.0, 1.0))
        .collect())
}

/// `image` (`side x side`, row-major) turned counter-clockwise, as the image is seen (rows
/// going down), by `degrees` about its centre `((side - 1) / 2, (side - 1) / 2)`.
///
/// Each output pixel samples the input at the inverse-rotated position by bilinear
/// interpolation; positions outside the image read as 0 (background). A turn by a multiple
/// of 90 degrees moves pixels exactly (up to `f64` rounding of the sine and cosine).
///
/// # Errors
///
/// [`DataError::ImageSize`] for a buffer of the wrong length, [`DataError::NonFiniteAngle`]
/// for a NaN or infinite angle.
pub fn rotate(image: &[f32], side: usize, degrees: f64) -> Result<Vec<f32>, DataError> {
    check_size(image, side)?;
    if !degrees.is_finite() {
        return Err(DataError::NonFiniteAngle(degrees));
    }
    let (sin, cos) = degrees.to_radians().sin_cos();
    let centre = (side as f64 - 1.0) / 2.0;
    let pixel = |row: isize, col: isize| -> f64 {
        if row < 0 || col < 0 || row as usize >= side || col as usize >= side {
            0.0
        } else {
            f64::from(image[row as usize * side + col as usize])
        }
    };
    let mut out = Vec::with_capacity(side * side);
    for row in 0..side {
        for col in 0..side {
            // Offsets with y pointing up, so that a positive angle turns counter-clockwise on
            // screen; the source is the output position turned back by the angle.
            let (dx, dy) = (col as f64 - centre, centre - row as f64);
            let source_x = cos * dx + sin * dy;
            let source_y = -sin * dx + cos * dy;
            let (c, r) = (centre + source_x, centre - source_y);
            let (c0, r0) = (c.floor(), r.floor());
            let (tc, tr) = (c - c0, r - r0);
            let (c0, r0) = (c0 as isize, r0 as isize);
            let top = (1.0 - tc) * pixel(r0, c0) + tc * pixel(r0, c0 + 1);
            let bottom = (1.0 - tc) * pixel(r0 + 1, c0) + tc * pixel(r0 + 1, c0 + 1);
            let value = (1.0 - tr) * top + tr * bottom;
            out.push(value.clamp(0.0, 1.0) as f32);
        }
    }
    Ok(out)
}

/// Grey erosion of `image` (`side x side`) with a `size x size` square: each pixel becomes
/// the minimum over the square placed on it, pixels outside the image counting as 0
/// (background). Strokes lose `size - 1` pixels of width.
///
/// The square covers the offsets `-(size - 1) / 2 ..= size / 2` (integer division) along
/// each axis: centred for an odd `size`, reaching one more pixel right and down for an even
/// one (a 2x2 square is the pixel, its right, lower and lower-right neighbours).
///
/// # Errors
///
/// [`DataError::ImageSize`] for a buffer of the wrong length,
/// [`DataError::InvalidElementSize`] for `size == 0`.
pub fn erode(image: &[f32], side: usize, size: usize) -> Result<Vec<f32>, DataError> {
    morphology(image, side, size, Morphology::Erode)
}

/// Grey dilation of `image` (`side x side`) with a `size x size` square: each pixel becomes
/// the maximum over the square placed on it (the square mirrored, so that dilation undoes
/// the shrinking of erosion on a solid block). Strokes gain `size - 1` pixels of width.
///
/// # Errors
///
/// [`DataError::ImageSize`] for a buffer of the wrong length,
/// [`DataError::InvalidElementSize`] for `size == 0`.
pub fn dilate(image: &[f32], side: usize, size: usize) -> Result<Vec<f32>, DataError> {
    morphology(image, side, size, Morphology::Dilate)
}

/// Which grey morphology [`morphology`] computes.
#[derive(Clone, Copy, PartialEq)]
enum Morphology {
    Erode,
    Dilate,
}

/// The minimum (erosion) or maximum (dilation, over the mirrored square) over the
/// `size x size` square of every pixel, 0 read past the border.
fn morphology(
    image: &[f32],
    side: usize,
    size: usize,
    operation: Morphology,
) -> Result<Vec<f32>, DataError> {
    check_size(image, side)?;
    if size == 0 {
        return Err(DataError::InvalidElementSize(size));
    }
    let low = -(((size - 1) / 2) as isize);
    let high = (size / 2) as isize;
    // Erosion takes the minimum over p + offsets; dilation the maximum over p - offsets.
    let (mirror, combine): (isize, fn(f32, f32) -> f32) = match operation {
        Morphology::Erode => (1, f32::min),
        Morphology::Dilate => (-1, f32::max),
    };
    let mut out = Vec::with_capacity(image.len());
    for row in 0..side as isize {
        for col in 0..side as isize {
            let mut value = image[row as usize * side + col as usize];
            for dr in low..=high {
                for dc in low..=high {
                    let (r, c) = (row + mirror * dr, col + mirror * dc);
                    let inside = r >= 0 && c >= 0 && (r as usize) < side && (c as usize) < side;
                    let neighbour = if inside {
                        image[r as usize * side + c as usize]
                    } else {
                        0.0
                    };
                    value = combine(value, neighbour);
                }
            }
            out.push(value);
        }
    }
    Ok(out)
}

/// Value noise at lattice coordinates `(u, v)`: the four surrounding lattice values mixed
/// with smoothstep weights.
fn value_noise(lattice: &[f64], nodes: usize, u: f64, v: f64) -> f64 {
    let (i, j) = (
        (u.floor() as usize).min(nodes - 2),
        (v.floor() as usize).min(nodes - 2),
    );
    let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
    let (su, sv) = (smooth(u - i as f64), smooth(v - j as f64));
    let at = |row: usize, col: usize| lattice[row * nodes + col];
    let top = (1.0 - su) * at(j, i) + su * at(j, i + 1);
    let bottom = (1.0 - su) * at(j + 1, i) + su * at(j + 1, i + 1);
    (1.0 - sv) * top + sv * bottom
}

/// Checks that `image` has `side * side` pixels.
fn check_size(image: &[f32], side: usize) -> Result<(), DataError> {
    let expected = side * side;
    if image.len() != expected {
        return Err(DataError::ImageSize {
            side,
            expected,
            found: image.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_noise_hits_the_lattice_values_at_the_nodes() {
        let lattice = [0.0, 1.0, 0.25, 0.5];
        assert!((value_noise(&lattice, 2, 0.0, 0.0) - 0.0).abs() < 1e-12);
        assert!((value_noise(&lattice, 2, 1.0, 0.0) - 1.0).abs() < 1e-12);
        assert!((value_noise(&lattice, 2, 0.0, 1.0) - 0.25).abs() < 1e-12);
        assert!((value_noise(&lattice, 2, 0.5, 0.5) - 0.4375).abs() < 1e-12);
    }
}
