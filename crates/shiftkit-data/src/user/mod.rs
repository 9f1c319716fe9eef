//! Users' own data: NumPy arrays, CSV tables and image folders, as Burn datasets of
//! [`Sample`]s.
//!
//! Every reader returns a [`SampleDataset`]: items of `f32` values of one shape per item
//! (`[F]` for features, `[C, H, W]` for images) with a [`Label`] (a class, a real value, or
//! none for unlabelled target data), the [`LabelKind`] the labels describe, and the class names when
//! they are known. [`SampleBatcher`] batches them into a [`DomainBatch`](crate::DomainBatch):
//! class indices, and a regression's values.
//!
//! | data | reader | storage |
//! |---|---|---|
//! | `.npy` files, `.npz` archives | [`arrays::load_npy`], [`arrays::load_npz`] | in memory, one flat buffer |
//! | CSV with a header row | [`table::load_csv`] | in memory, one flat buffer |
//! | `root/<class>/*.png` (ImageFolder, Office-31) | [`ImageFolder::classes`] | paths only, decoded on `get` |
//! | a flat folder of images (unlabelled) | [`ImageFolder::flat`] | paths only, decoded on `get` |
//! | a list file of `path label` lines (tllib) | [`ImageFolder::list`] | paths only, decoded on `get` |
//!
//! [`detect()`] tells which kind a path is, and [`open`] reads any of them with default
//! settings.
//!
//! # Source and target classes
//!
//! Readers number classes from what one file or folder holds (sorted class names, or the
//! integer labels as they are). A target whose data lacks some of the source's classes would
//! be numbered differently: [`SampleDataset::remap_classes`] renumbers it by the source's class
//! names.

pub mod arrays;
mod batcher;
mod detect;
mod image_config;
mod images;
mod label;
mod sample;
pub mod table;

pub use batcher::SampleBatcher;
pub use detect::{Kind, OpenOptions, detect, open};
pub use image_config::{Augment, ImageConfig, Normalisation};
pub use images::{DecodeFailure, IMAGE_EXTENSIONS, ImageFolder, STATS_SAMPLE};
pub use label::{Label, LabelKind, LabelMode, Sample};
pub use sample::SampleDataset;
