//! Domain pairs for shiftkit, as Burn datasets and batchers.
//!
//! Domain adaptation trains on a labelled *source* domain and an unlabelled *target* domain
//! and is judged on held-out target data. This crate provides such pairs, ready for Burn's
//! [`DataLoaderBuilder`](burn::data::dataloader::DataLoaderBuilder):
//!
//! | pair | source | target | built by |
//! |---|---|---|---|
//! | [`MoonsPair`] | two moons ([`moons`]) | the same distribution rotated 35 degrees | [`MoonsConfig::init`] |
//! | [`DigitsPair`] | MNIST ([`mnist`]) | UCI optdigits in MNIST's geometry ([`optdigits`]) | [`DigitsPair::embedded`], [`DigitsPair::reference`] |
//! | [`DigitsPair`] | MNIST or optdigits | a [`SuitePair`] of the robustness suite ([`suite`]): optdigits, MNIST, or MNIST inverted, textured, noisy, rotated, thinned ([`shift`]) | [`DigitsPair::suite`] |
//!
//! # What is here
//!
//! - Items [`DigitItem`] (784 pixels in `[0, 1]`, a label `0..=9`) and [`PointItem`], in the
//!   data sets [`DigitDataset`] and [`PointDataset`], both Burn
//!   [`Dataset`](burn::data::dataset::Dataset)s.
//! - Batchers into a [`DomainBatch`]: [`DigitBatcher`] (`[N, 1, 28, 28]`, for CNNs),
//!   [`FlatDigitBatcher`] (`[N, 784]`, for MLPs) and [`PointBatcher`] (`[N, 2]`).
//! - Loaders: [`mnist::load`] for the standard IDX files, [`optdigits::load`] for the CSV,
//!   each gzipped or not; [`moons::two_moons`] and [`moons::rotate`].
//! - [`stratified_split`] and [`stratified_split_count`]: seeded train/test splits that keep
//!   every class's share.
//! - Users' own data ([`user`]): [`arrays`] (`.npy`, `.npz`), [`table`] (CSV) and
//!   [`ImageFolder`] (class folders, flat folders, list files, decoded lazily), each a
//!   [`SampleDataset`] of [`Sample`]s (values of one shape, a [`Label`]: class, value or none)
//!   with its [`LabelKind`] and class names; [`detect`] and [`open`] for any path;
//!   [`SampleBatcher`] (`[N, F]` or `[N, C, H, W]`, class indices, a regression's values).
//! - One error type, [`DataError`].
//!
//! # Why it is built this way
//!
//! - **The data ships with the crate.** The MNIST test split (10,000 images) and optdigits
//!   (1,797 digits) are embedded with `include_bytes!` ([`mnist::embedded_test`],
//!   [`optdigits::embedded`]), so tests, examples and benchmarks run from a fresh clone with
//!   no download. The loaders still read anyone's copy of the standard files, such as the
//!   60,000-image MNIST training split. Provenance and licences (MNIST CC BY-SA 3.0, UCI
//!   optdigits CC BY 4.0) are in `assets/README.md`.
//! - **One geometry for both digit domains.** Optdigits' `8x8` blocks are resized to the
//!   `20x20` box MNIST centres its digits in and padded to `28x28`, so one network reads
//!   both; see [`optdigits`] for the exact mapping. Pixels are only scaled to `[0, 1]`.
//! - **Comparable with the PyTorch reference.** [`DigitsPair::reference`] rebuilds the
//!   reference's data exactly, target split included ([`optdigits::reference_split`]).
//! - **Bad input is an error, not a panic.** Every header, length, count, label and CSV field
//!   is checked; a [`DataError`] names the file and the offending value.
//! - **Reproducible without dependencies.** Randomness comes from a small SplitMix64
//!   generator in this crate, so a seed gives the same moons and splits on every platform.
//! - **Flat storage, flat batches.** A data set keeps its pixels in one buffer and a batcher
//!   builds one buffer and one tensor per batch, never one tensor per item.
//!
//! # Example
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::data::dataloader::DataLoaderBuilder;
//! use shiftkit_data::{DomainBatch, MoonsConfig, PointBatcher};
//!
//! let pair = MoonsConfig::new().with_seed(7).init()?;
//! let loader = DataLoaderBuilder::<NdArray, _, DomainBatch<NdArray, 2>>::new(PointBatcher)
//!     .batch_size(32)
//!     .shuffle(7)
//!     .build(pair.source_train);
//! let batch = loader.iter().next().expect("240 training points");
//! assert_eq!(batch.inputs.dims(), [32, 2]);
//! # Ok::<(), shiftkit_data::DataError>(())
//! ```

#![deny(missing_docs)]

mod batch;
mod batcher;
mod digits;
mod error;
mod gzip;
mod items;
pub mod mnist;
pub mod moons;
pub mod optdigits;
mod pair;
mod points;
mod resident;
mod resize;
mod rng;
pub mod shift;
mod split;
pub mod suite;
pub mod user;

pub use batch::DomainBatch;
pub use batcher::{DigitBatcher, FlatDigitBatcher, PointBatcher};
pub use digits::DigitDataset;
pub use error::DataError;
pub use items::{DigitItem, IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES, PointItem};
pub use moons::MoonsConfig;
pub use pair::{DigitsPair, DomainPair, MoonsPair};
pub use points::PointDataset;
pub use resident::ResidentLoader;
pub use shift::DigitShift;
pub use split::{shard_indices, stratified_split, stratified_split_count};
pub use suite::SuitePair;
pub use user::{
    Augment, DecodeFailure, ImageConfig, ImageFolder, Kind, Label, LabelKind, LabelMode,
    Normalisation, OpenOptions, STATS_SAMPLE, Sample, SampleBatcher, SampleDataset, arrays, detect,
    open, table,
};
