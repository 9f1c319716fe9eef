//! Two moons, the toy task of the DANN paper, with a rotated target domain.
//!
//! Ganin et al. ("Domain-Adversarial Training of Neural Networks", JMLR 2016, section 5.1)
//! take two interleaving half-circles as the source domain and the same distribution
//! rotated by 35 degrees as the target: a shift a plain classifier trained on the source
//! gets partly wrong, and one that domain adaptation can undo.
//!
//! The generator follows scikit-learn's `make_moons`: of `n` points, `n / 2` (rounded down)
//! lie on the upper half-circle `(cos t, sin t)`, class 0, and the rest on the lower,
//! shifted one `(1 - cos t, 0.5 - sin t)`, class 1, with `t` evenly spaced over `[0, pi]`;
//! the points are shuffled, then each coordinate gets Gaussian noise of standard deviation
//! `noise`. The draws come from this crate's own seeded generator (SplitMix64 and
//! Box-Muller), so a seed gives the same points on every platform.
//!
//! The rotation turns points counter-clockwise about [`MOONS_CENTRE`], `(0.5, 0.25)`: the
//! centre of the noiseless moons' bounding box `[-1, 2] x [-0.5, 1]`, which is also their mean
//! (for an even `n`), so the rotated moons stay where the originals were.

use burn::config::Config;

use crate::error::DataError;
use crate::pair::MoonsPair;
use crate::points::PointDataset;
use crate::rng::SplitMix64;
use crate::split::stratified_split;

/// The point the target moons are rotated about: the centre of the noiseless moons.
pub const MOONS_CENTRE: [f64; 2] = [0.5, 0.25];

/// The target rotations of the robustness suite, in degrees: milder and harsher than the
/// DANN paper's 35. Each is one [`MoonsConfig`] with
/// [`with_angle_degrees`](MoonsConfig::with_angle_degrees).
pub const MOONS_SUITE_DEGREES: [f64; 3] = [20.0, 35.0, 50.0];

/// `n_samples` noisy two-moons points, shuffled; labels 0 (upper moon) and 1 (lower moon),
/// `n_samples / 2` of class 0 (rounded down) and the rest of class 1.
///
/// # Errors
///
/// [`DataError::InvalidNoise`] when `noise` is negative or not finite.
pub fn two_moons(n_samples: usize, noise: f64, seed: u64) -> Result<PointDataset, DataError> {
    sample(n_samples, noise, &mut SplitMix64::new(seed))
}

/// `dataset` with every point turned counter-clockwise by `angle_degrees` about `centre`;
/// labels unchanged. Distances to `centre` are preserved (up to `f32` rounding).
///
/// # Errors
///
/// [`DataError::NonFiniteAngle`] or [`DataError::NonFiniteCentre`] for a NaN or infinite
/// argument.
pub fn rotate(
    dataset: &PointDataset,
    angle_degrees: f64,
    centre: [f64; 2],
) -> Result<PointDataset, DataError> {
    if !angle_degrees.is_finite() {
        return Err(DataError::NonFiniteAngle(angle_degrees));
    }
    if !centre.iter().all(|c| c.is_finite()) {
        return Err(DataError::NonFiniteCentre(centre));
    }
    let (sin, cos) = angle_degrees.to_radians().sin_cos();
    let points = dataset
        .points()
        .iter()
        .map(|&[x, y]| {
            let (dx, dy) = (f64::from(x) - centre[0], f64::from(y) - centre[1]);
            [
                (centre[0] + cos * dx - sin * dy) as f32,
                (centre[1] + sin * dx + cos * dy) as f32,
            ]
        })
        .collect();
    PointDataset::new(points, dataset.labels().to_vec())
}

/// Configuration of the two-moons domain pair (see the [module docs](self)).
#[derive(Config, Debug, PartialEq)]
pub struct MoonsConfig {
    /// Points in each domain, before the train/test split. The DANN paper uses 300 (150 a
    /// class).
    #[config(default = 300)]
    pub n_samples: usize,
    /// Standard deviation of the Gaussian noise on each coordinate.
    #[config(default = 0.1)]
    pub noise: f64,
    /// Rotation of the target domain, in degrees, counter-clockwise about [`MOONS_CENTRE`].
    #[config(default = 35.0)]
    pub angle_degrees: f64,
    /// Share of each domain held out for testing, class by class.
    #[config(default = 0.2)]
    pub test_fraction: f64,
    /// Seed of everything random: both domains' points and both splits.
    #[config(default = 0)]
    pub seed: u64,
}

impl MoonsConfig {
    /// Builds the pair: source moons, and target moons drawn afresh (independently of the
    /// source points, from the same seed) then rotated; each domain split into train and test
    /// by [`stratified_split`].
    ///
    /// The target is a new sample of the rotated distribution rather than the source points
    /// themselves rotated, so that no target point is the image of a source training point.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidNoise`], [`DataError::NonFiniteAngle`] or
    /// [`DataError::InvalidTestFraction`] for an out-of-range field.
    pub fn init(&self) -> Result<MoonsPair, DataError> {
        let source = sample(
            self.n_samples,
            self.noise,
            &mut SplitMix64::derived(self.seed, 0),
        )?;
        let target = rotate(
            &sample(
                self.n_samples,
                self.noise,
                &mut SplitMix64::derived(self.seed, 1),
            )?,
            self.angle_degrees,
            MOONS_CENTRE,
        )?;
        let split_seed = |stream| SplitMix64::derived(self.seed, stream).next_u64();
        let (source_train, source_test) =
            stratified_split(source.labels(), self.test_fraction, split_seed(2))?;
        let (target_train, target_test) =
            stratified_split(target.labels(), self.test_fraction, split_seed(3))?;
        Ok(MoonsPair {
            source_train: source.subset(&source_train)?,
            source_test: source.subset(&source_test)?,
            target_train: target.subset(&target_train)?,
            target_test: target.subset(&target_test)?,
        })
    }
}

/// The two-moons sample drawn from `rng`.
fn sample(n_samples: usize, noise: f64, rng: &mut SplitMix64) -> Result<PointDataset, DataError> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(DataError::InvalidNoise(noise));
    }
    let n_upper = n_samples / 2;
    let n_lower = n_samples - n_upper;
    let mut points: Vec<([f64; 2], u8)> = Vec::with_capacity(n_samples);
    points.extend(half_circle(n_upper).map(|t| ([t.cos(), t.sin()], 0)));
    points.extend(half_circle(n_lower).map(|t| ([1.0 - t.cos(), 0.5 - t.sin()], 1)));
    rng.shuffle(&mut points);
    let (points, labels) = points
        .into_iter()
        .map(|([x, y], label)| {
            let x = x + noise * rng.normal();
            let y = y + noise * rng.normal();
            ([x as f32, y as f32], label)
        })
        .unzip();
    PointDataset::new(points, labels)
}

/// `n` angles evenly spaced over `[0, pi]`, both ends included (`[0]` when `n` is 1), like
/// `numpy.linspace(0, pi, n)`.
fn half_circle(n: usize) -> impl Iterator<Item = f64> {
    let step = if n > 1 {
        std::f64::consts::PI / (n - 1) as f64
    } else {
        0.0
    };
    (0..n).map(move |i| i as f64 * step)
}
