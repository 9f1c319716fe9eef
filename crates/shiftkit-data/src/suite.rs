//! The robustness suite: digit domain pairs built from the embedded data only.
//!
//! Defaults tuned on one pair can hurt on another. The suite gives a method several shifts
//! to be judged on, all from the two data sets the crate ships, all seeded:
//!
//! | [`SuitePair`] | name | source | target |
//! |---|---|---|---|
//! | [`MnistToOptdigits`](SuitePair::MnistToOptdigits) | `mnist-optdigits` | MNIST | optdigits, as [`DigitsPair::embedded`] |
//! | [`OptdigitsToMnist`](SuitePair::OptdigitsToMnist) | `optdigits-mnist` | optdigits | MNIST: the reverse |
//! | [`MnistToInverted`](SuitePair::MnistToInverted) | `mnist-inverted` | MNIST | MNIST, `1 - x` |
//! | [`MnistToTextured`](SuitePair::MnistToTextured) | `mnist-textured` | MNIST | MNIST on procedural textures, MNIST-M-like |
//! | [`MnistToNoisy`](SuitePair::MnistToNoisy) | `mnist-noisy` | MNIST | MNIST on uniform noise of amplitude [`NOISE_AMPLITUDE`] |
//! | [`MnistToRotated`](SuitePair::MnistToRotated) | `mnist-rotated` | MNIST | MNIST turned by [`ROTATION_DEGREES`] |
//! | [`MnistToThinned`](SuitePair::MnistToThinned) | `mnist-thinned` | MNIST | MNIST eroded with a [`THIN_SIZE`] square |
//!
//! The shifts themselves are in [`shift`](crate::shift). Two moons at 20, 35 and 50 degrees
//! complete the suite: [`MOONS_SUITE_DEGREES`](crate::moons::MOONS_SUITE_DEGREES) with
//! [`MoonsConfig`](crate::MoonsConfig).
//!
//! # How the MNIST-to-MNIST pairs are cut
//!
//! A target made of the source's own training digits would let a model recognise digits it
//! was trained on. So the embedded MNIST test split (10,000 digits) is first cut in two
//! disjoint halves of 5,000 by a seeded stratified split: one half is the source, the other,
//! shifted, the target. Each half is then split 80/20 (stratified, seeded) into training and
//! test sets: 4,000 and 1,000 digits in each domain. No digit appears in both domains, and
//! no target-test digit in the target's training set.

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "embedded")]
use crate::digits::DigitDataset;
use crate::error::DataError;
#[cfg(feature = "embedded")]
use crate::mnist;
#[cfg(feature = "embedded")]
use crate::pair::DigitsPair;
#[cfg(feature = "embedded")]
use crate::rng::SplitMix64;
use crate::shift::DigitShift;
#[cfg(feature = "embedded")]
use crate::split::stratified_split;

/// Rotation of the target digits of [`SuitePair::MnistToRotated`], in degrees
/// (counter-clockwise).
pub const ROTATION_DEGREES: f64 = 40.0;

/// Amplitude of the background noise of [`SuitePair::MnistToNoisy`].
pub const NOISE_AMPLITUDE: f32 = 0.5;

/// Side of the erosion square of [`SuitePair::MnistToThinned`]: a 2x2 minimum takes about
/// half the ink off MNIST's strokes (a pixel of width) and leaves every digit readable; a
/// 3x3 one took four fifths and left half the digits with fewer than ten bright pixels.
pub const THIN_SIZE: usize = 2;

/// Share of each domain held out as its test set in the MNIST-to-MNIST pairs.
pub const SUITE_TEST_FRACTION: f64 = 0.2;

/// Seed streams derived from the user's seed, one per random choice.
#[cfg(feature = "embedded")]
mod stream {
    pub(super) const HALVES: u64 = 100;
    pub(super) const SOURCE_SPLIT: u64 = 101;
    pub(super) const TARGET_SPLIT: u64 = 102;
    pub(super) const SHIFT: u64 = 103;
}

/// A digit pair of the robustness suite (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SuitePair {
    /// MNIST to optdigits: [`DigitsPair::embedded`].
    MnistToOptdigits,
    /// Optdigits to MNIST: [`DigitsPair::embedded`] with the domains swapped.
    OptdigitsToMnist,
    /// MNIST to inverted MNIST (`1 - x`).
    MnistToInverted,
    /// MNIST to MNIST blended into procedural textures.
    MnistToTextured,
    /// MNIST to MNIST on a background of uniform noise.
    MnistToNoisy,
    /// MNIST to MNIST turned by [`ROTATION_DEGREES`].
    MnistToRotated,
    /// MNIST to MNIST with strokes thinned by an erosion ([`THIN_SIZE`]).
    MnistToThinned,
}

impl SuitePair {
    /// Every pair of the suite, in the order of the [module docs](self).
    pub const ALL: [Self; 7] = [
        Self::MnistToOptdigits,
        Self::OptdigitsToMnist,
        Self::MnistToInverted,
        Self::MnistToTextured,
        Self::MnistToNoisy,
        Self::MnistToRotated,
        Self::MnistToThinned,
    ];

    /// The pair's name: `source-target`, lower case (`mnist-textured`); what
    /// [`FromStr`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::MnistToOptdigits => "mnist-optdigits",
            Self::OptdigitsToMnist => "optdigits-mnist",
            Self::MnistToInverted => "mnist-inverted",
            Self::MnistToTextured => "mnist-textured",
            Self::MnistToNoisy => "mnist-noisy",
            Self::MnistToRotated => "mnist-rotated",
            Self::MnistToThinned => "mnist-thinned",
        }
    }

    /// The shift that makes the target of an MNIST-to-MNIST pair, `None` for the two pairs
    /// between MNIST and optdigits.
    pub fn shift(self) -> Option<DigitShift> {
        match self {
            Self::MnistToOptdigits | Self::OptdigitsToMnist => None,
            Self::MnistToInverted => Some(DigitShift::Invert),
            Self::MnistToTextured => Some(DigitShift::Texture),
            Self::MnistToNoisy => Some(DigitShift::NoiseBackground {
                amplitude: NOISE_AMPLITUDE,
            }),
            Self::MnistToRotated => Some(DigitShift::Rotate {
                degrees: ROTATION_DEGREES,
            }),
            Self::MnistToThinned => Some(DigitShift::Thin { size: THIN_SIZE }),
        }
    }

    /// All names, comma-separated (for messages).
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

impl fmt::Display for SuitePair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SuitePair {
    type Err = DataError;

    /// Reads a [`name`](SuitePair::name), ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|pair| pair.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| DataError::UnknownSuitePair {
                name: s.to_owned(),
                expected: Self::names(),
            })
    }
}

/// The suite's pairs, built from the embedded data (feature `embedded`).
#[cfg(feature = "embedded")]
impl DigitsPair {
    /// The suite pair `pair`, with everything random drawn from `seed` (see the
    /// [`suite`](crate::suite) module for how each is cut).
    ///
    /// The same pair and seed give the same digits on every platform. Each call decodes the
    /// embedded data afresh; keep the result.
    ///
    /// # Errors
    ///
    /// None in practice (the embedded data is well formed and the shifts' settings valid).
    pub fn suite(pair: SuitePair, seed: u64) -> Result<Self, DataError> {
        let Some(shift) = pair.shift() else {
            let embedded = Self::embedded(seed)?;
            return Ok(match pair {
                SuitePair::OptdigitsToMnist => Self {
                    source_train: embedded.target_train,
                    source_test: embedded.target_test,
                    target_train: embedded.source_train,
                    target_test: embedded.source_test,
                },
                _ => embedded,
            });
        };
        let (source, target) = mnist_halves(seed)?;
        let target = shift.apply(&target, derived_seed(seed, stream::SHIFT))?;
        let (source_train, source_test) = split(&source, derived_seed(seed, stream::SOURCE_SPLIT))?;
        let (target_train, target_test) = split(&target, derived_seed(seed, stream::TARGET_SPLIT))?;
        Ok(Self {
            source_train,
            source_test,
            target_train,
            target_test,
        })
    }

    /// The embedded MNIST test split cut in two disjoint, class-balanced halves of 5,000
    /// digits by `seed`: `(source, target)`, before any shift. These are the two domains of
    /// every MNIST-to-MNIST [`SuitePair`].
    ///
    /// # Errors
    ///
    /// None in practice (the embedded data is well formed).
    pub fn suite_mnist_halves(seed: u64) -> Result<(DigitDataset, DigitDataset), DataError> {
        mnist_halves(seed)
    }
}

/// See [`DigitsPair::suite_mnist_halves`].
#[cfg(feature = "embedded")]
fn mnist_halves(seed: u64) -> Result<(DigitDataset, DigitDataset), DataError> {
    let all = mnist::embedded_test()?;
    let (first, second) = stratified_split(all.labels(), 0.5, derived_seed(seed, stream::HALVES))?;
    Ok((all.subset(&first)?, all.subset(&second)?))
}

/// `data` split into training and test sets by [`stratified_split`].
#[cfg(feature = "embedded")]
fn split(data: &DigitDataset, seed: u64) -> Result<(DigitDataset, DigitDataset), DataError> {
    let (train, test) = stratified_split(data.labels(), SUITE_TEST_FRACTION, seed)?;
    Ok((data.subset(&train)?, data.subset(&test)?))
}

/// The seed of stream `stream` derived from `seed`.
#[cfg(feature = "embedded")]
fn derived_seed(seed: u64, stream: u64) -> u64 {
    SplitMix64::derived(seed, stream).next_u64()
}
