#[cfg(feature = "embedded")]
use std::path::Path;

use crate::digits::DigitDataset;
#[cfg(feature = "embedded")]
use crate::error::DataError;
#[cfg(feature = "embedded")]
use crate::mnist::{self, MnistSplit};
#[cfg(feature = "embedded")]
use crate::optdigits;
use crate::points::PointDataset;
#[cfg(feature = "embedded")]
use crate::split::stratified_split;

/// A source and a target domain, each split into training and test sets.
///
/// For the target domain the training labels are for tracking accuracy only: unsupervised
/// domain adaptation never trains on them.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainPair<T> {
    /// Labelled source examples to train on.
    pub source_train: T,
    /// Held-out source examples.
    pub source_test: T,
    /// Target examples to adapt to (their labels unused in training).
    pub target_train: T,
    /// Held-out target examples: the accuracy that domain adaptation is judged by.
    pub target_test: T,
}

/// MNIST (source) to optdigits (target), both as `28x28` digits in `[0, 1]`.
pub type DigitsPair = DomainPair<DigitDataset>;

/// Two moons (source) to two moons rotated (target); built by
/// [`MoonsConfig::init`](crate::MoonsConfig::init).
pub type MoonsPair = DomainPair<PointDataset>;

/// The digit pairs whose target is the embedded optdigits (feature `embedded`).
#[cfg(feature = "embedded")]
impl DigitsPair {
    /// Source training images in [`reference`](Self::reference): the reference's `--n-src`
    /// default.
    pub const REFERENCE_N_SOURCE: usize = 10_000;

    /// Share of the embedded MNIST test split held out as source test set in
    /// [`embedded`](Self::embedded).
    pub const EMBEDDED_SOURCE_TEST_FRACTION: f64 = 0.2;

    /// The pair from the data embedded in the crate, with no file to read.
    ///
    /// - Source: the embedded MNIST test split (10,000 images; the training split is too big
    ///   to ship), split by [`stratified_split`] with `seed` into 8,000 training and 2,000
    ///   test images.
    /// - Target: the embedded optdigits, split exactly as the PyTorch reference splits it
    ///   ([`optdigits::reference_split`]: 1,200 training, 597 test digits), whatever `seed`,
    ///   so target-test accuracies are measured on the reference's very digits.
    ///
    /// # Errors
    ///
    /// None in practice (the embedded data is well formed).
    pub fn embedded(seed: u64) -> Result<Self, DataError> {
        let source = mnist::embedded_test()?;
        let (train, test) =
            stratified_split(source.labels(), Self::EMBEDDED_SOURCE_TEST_FRACTION, seed)?;
        let (target_train, target_test) = reference_target()?;
        Ok(Self {
            source_train: source.subset(&train)?,
            source_test: source.subset(&test)?,
            target_train,
            target_test,
        })
    }

    /// The pair exactly as the PyTorch reference (`dann_ref.py` with its defaults) builds it,
    /// so that results are directly comparable.
    ///
    /// - Source training: the first 10,000 images of the MNIST training split in `mnist_dir`.
    /// - Source test: the MNIST test split in `mnist_dir` (10,000 images).
    /// - Target: the embedded optdigits with the reference's split
    ///   ([`optdigits::reference_split`]: 1,200 training, 597 test digits, in its order).
    ///
    /// # Errors
    ///
    /// As [`mnist::load`] for a missing or malformed MNIST file.
    pub fn reference(mnist_dir: impl AsRef<Path>) -> Result<Self, DataError> {
        Self::from_mnist_dir(mnist_dir, Self::REFERENCE_N_SOURCE)
    }

    /// [`reference`](Self::reference) with the first `n_source` MNIST training images as the
    /// source training set (all 60,000 when `n_source` is larger).
    ///
    /// # Errors
    ///
    /// As [`mnist::load`] for a missing or malformed MNIST file.
    pub fn from_mnist_dir(mnist_dir: impl AsRef<Path>, n_source: usize) -> Result<Self, DataError> {
        let mnist_dir = mnist_dir.as_ref();
        let source_train = mnist::load(mnist_dir, MnistSplit::Train)?.take(n_source);
        let source_test = mnist::load(mnist_dir, MnistSplit::Test)?;
        let (target_train, target_test) = reference_target()?;
        Ok(Self {
            source_train,
            source_test,
            target_train,
            target_test,
        })
    }
}

/// The embedded optdigits, split as the reference splits it.
#[cfg(feature = "embedded")]
fn reference_target() -> Result<(DigitDataset, DigitDataset), DataError> {
    let target = optdigits::embedded()?;
    let (train, test) = optdigits::reference_split();
    Ok((target.subset(&train)?, target.subset(&test)?))
}
