//! The `adapt` program's library side: users' files read with `shiftkit-data`'s readers,
//! checked against each other, normalised with the source's statistics, split, and described
//! in `adapt.json` so that `adapt --predict` reads new files exactly as training read them;
//! the training (or the label-free choice) of a classifier or a regression, its outputs and
//! its table; and the predictions of a trained encoder, written to `predictions.csv`.
//!
//! - [`manifest`](mod@manifest): `adapt.json`, and the normalisation it records;
//! - [`read`](mod@read): one file read for a role, class labels matched by name;
//! - [`normalise`](mod@normalise): the source's statistics, standardisation, and the source's split;
//! - [`prepare`](mod@prepare): every domain read, checked and normalised, for training or for `--predict`;
//! - [`predict`](mod@predict): a model's predictions, `predictions.csv`;
//! - [`plan`](mod@plan): what `--model` and `--method` settle before training;
//! - [`outputs`](mod@outputs): `summary.json`, the printed table, the progress of a choice;
//! - [`regress`](mod@regress): a regression's runs and choice, measured by their errors;
//! - [`value_outputs`](mod@value_outputs): a regression's `summary.json`, `selection.json`, table and picture;
//! - [`job`](mod@job): what a training job holds, and what its two paths share;
//! - [`train`](mod@train): a training job, for every backend, and its outputs;
//! - [`apply`](mod@apply): a prediction job (`--predict`), for every backend;
//! - [`backbone`](mod@backbone): the ResNets' torchvision weights, and `--embed`.
//!
//! Every error here is one line that names the file and the problem.

use std::error::Error;
use std::path::Path;

use serde::{Deserialize, Serialize};
use shiftkit::data::Kind;
use shiftkit::nn::ResNetConfig;

pub mod apply;
pub mod backbone;
pub mod job;
pub mod manifest;
pub mod normalise;
pub mod outputs;
pub mod plan;
pub mod predict;
pub mod prepare;
pub mod read;
pub mod regress;
pub mod train;
pub mod value_outputs;

pub use apply::{Measured, Predict};
pub use job::{Job, Outcome};
pub use manifest::{ImageSpec, Manifest, Scope, Standardisation};
pub use normalise::{feature_stats, split_source, standardised};
pub use plan::{Methods, cnn_size, methods};
pub use predict::{
    Prediction, accuracy, decode_warning, errors, predict, predict_values, write_predictions,
    write_values,
};
pub use prepare::{PrepareOptions, Prepared, prepare, read_for_predict};
pub use read::{Domain, ReadOptions, Role, class_names, detect_task, map_classes, read};

/// The file `adapt` describes a trained model in, in its output folder.
pub const MANIFEST: &str = "adapt.json";
/// The trained encoder's weights, in the output folder (its configuration beside, as
/// `encoder.json`).
pub const ENCODER: &str = "encoder.mpk";
/// The predictions file.
pub const PREDICTIONS: &str = "predictions.csv";
/// `adapt.json`'s `format`.
pub const FORMAT: &str = "shiftkit-adapt/1";
/// Images whose headers are read to tell grey from colour, per domain.
pub(crate) const COLOUR_SAMPLE: usize = 200;

/// A one-line error.
pub type Failure = Box<dyn Error>;

/// `error` with `path` in front when its message does not already name it.
pub fn named(path: &Path, error: impl std::fmt::Display) -> Failure {
    let message = error.to_string();
    let shown = path.display().to_string();
    if message.contains(&shown) {
        message.into()
    } else {
        format!("{shown}: {message}").into()
    }
}

/// The encoder `adapt` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// [`shiftkit::nn::MlpEncoderConfig`] on flat inputs.
    Mlp,
    /// [`shiftkit::nn::CnnEncoderConfig`] on `[C, H, W]` inputs.
    Cnn,
    /// torchvision's ResNet-18 ([`shiftkit::nn::ResNetConfig`]) on `[C, H, W]` inputs.
    Resnet18,
    /// torchvision's ResNet-34.
    Resnet34,
    /// torchvision's ResNet-50.
    Resnet50,
}

impl ModelKind {
    /// `mlp`, `cnn`, `resnet18`, `resnet34` or `resnet50`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mlp => "mlp",
            Self::Cnn => "cnn",
            Self::Resnet18 => "resnet18",
            Self::Resnet34 => "resnet34",
            Self::Resnet50 => "resnet50",
        }
    }

    /// torchvision's network, for a ResNet.
    pub fn resnet_config(self) -> Option<ResNetConfig> {
        match self {
            Self::Resnet18 => Some(ResNetConfig::resnet18()),
            Self::Resnet34 => Some(ResNetConfig::resnet34()),
            Self::Resnet50 => Some(ResNetConfig::resnet50()),
            Self::Mlp | Self::Cnn => None,
        }
    }
}

/// What the items are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// Numbers in memory: CSV tables, `.npy`, `.npz` (items of shape `[F]`, or `[H, W]`,
    /// `[C, H, W]` for arrays of images).
    Features,
    /// Image files, decoded on demand (items `[C, H, W]`).
    Images,
}

impl InputKind {
    pub(crate) fn of(kind: Kind) -> Self {
        match kind {
            Kind::ClassFolders | Kind::ImageFiles | Kind::ListFile => Self::Images,
            Kind::Npy | Kind::Npz | Kind::Csv => Self::Features,
        }
    }
}

/// What the source's labels are, and the model learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Class labels: a classifier, one output per class.
    Classification,
    /// Real values: a regression, one output.
    Regression,
}

impl TaskKind {
    /// `classification` or `regression`, as `adapt.json` records it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Classification => "classification",
            Self::Regression => "regression",
        }
    }

    /// Whether the labels are real values.
    pub fn is_regression(self) -> bool {
        self == Self::Regression
    }
}
