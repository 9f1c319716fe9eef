//! The data side of the `adapt` program: users' files read with `shiftkit-data`'s readers,
//! checked against each other, normalised with the source's statistics, split, and described
//! in `adapt.json` so that `adapt --predict` reads new files exactly as training read them;
//! and the predictions of a trained encoder, written to `predictions.csv`.
//!
//! Every error here is one line that names the file and the problem.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::data::dataloader::DataLoader;
use burn::data::dataloader::batcher::Batcher;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, activation::softmax};
use serde::{Deserialize, Serialize};
use shiftkit::data::user::STATS_SAMPLE;
use shiftkit::data::{
    DataError, DomainBatch, ImageConfig, ImageFolder, Kind, Label, LabelMode, Normalisation,
    OpenOptions, Sample, SampleBatcher, SampleDataset, Task, detect, open, table,
};
use shiftkit::nn::Encoder;

use crate::experiment::eval_loader;

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
const COLOUR_SAMPLE: usize = 200;

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
}

impl ModelKind {
    /// `mlp` or `cnn`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mlp => "mlp",
            Self::Cnn => "cnn",
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
    fn of(kind: Kind) -> Self {
        match kind {
            Kind::ClassFolders | Kind::ImageFiles | Kind::ListFile => Self::Images,
            Kind::Npy | Kind::Npz | Kind::Csv => Self::Features,
        }
    }
}

/// Over what the normalisation's statistics are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One mean and deviation per feature (per value of an item).
    Feature,
    /// One mean and deviation per channel (the first axis of `[C, H, W]` items).
    Channel,
}

/// `(x - mean) / std`, with the source's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardisation {
    /// Per feature or per channel.
    pub scope: Scope,
    /// The means.
    pub mean: Vec<f32>,
    /// The standard deviations (positive).
    pub std: Vec<f32>,
}

/// How images are read, in `adapt.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// Height in pixels after resizing.
    pub height: u32,
    /// Width in pixels after resizing.
    pub width: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
}

/// `adapt.json`: what `--predict` needs to read new data as training read it and to name
/// the classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// `classification`.
    pub task: String,
    /// The encoder.
    pub model: ModelKind,
    /// The method that trained it (chosen or named).
    pub method: String,
    /// Features or images.
    pub input: InputKind,
    /// The item shape: `[F]`, `[H, W]` or `[C, H, W]`.
    pub shape: Vec<usize>,
    /// A CSV source's feature columns, in order.
    pub columns: Option<Vec<String>>,
    /// The label column of CSV files.
    pub label_column: String,
    /// The features' key in `.npz` archives.
    pub x_key: String,
    /// The labels' key in `.npz` archives (`None`: `y` where present).
    pub y_key: Option<String>,
    /// The class names, in the order of the model's outputs (class indices as text where the
    /// source has no names).
    pub classes: Vec<String>,
    /// The normalisation, computed on the source.
    pub normalisation: Standardisation,
    /// How images are read (images only).
    pub image: Option<ImageSpec>,
    /// The encoder's weights, relative to this file (configuration beside it, `.json`).
    pub encoder: String,
}

impl Manifest {
    /// Reads `dir/adapt.json`.
    ///
    /// # Errors
    ///
    /// A missing or unreadable file, or one of another format.
    pub fn read(dir: &Path) -> Result<Self, Failure> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let manifest: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not an adapt.json: {e}", path.display()))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "{}: format {:?}, expected {FORMAT:?}",
                path.display(),
                manifest.format
            )
            .into());
        }
        Ok(manifest)
    }

    /// How the manifest's images are read.
    pub fn image_config(&self) -> Option<ImageConfig> {
        let image = self.image?;
        Some(
            ImageConfig::new(image.height, image.width)
                .with_channels(image.channels)
                .with_normalisation(Some(Normalisation {
                    mean: self.normalisation.mean.clone(),
                    std: self.normalisation.std.clone(),
                })),
        )
    }
}

/// What a file is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The labelled source: class labels required.
    Source,
    /// The target: labels, if any, are not trained on.
    Target,
    /// Labelled target data to report the accuracy on: class labels required.
    TargetTest,
    /// Data to predict: labels optional (an accuracy is printed where present).
    Input,
}

impl Role {
    fn needs_labels(self) -> bool {
        matches!(self, Self::Source | Self::TargetTest)
    }

    fn flag(self) -> &'static str {
        match self {
            Self::Source => "--source",
            Self::Target => "--target",
            Self::TargetTest => "--target-test",
            Self::Input => "--input",
        }
    }
}

/// How files are read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV files' label column.
    pub label_column: String,
    /// The features' key in `.npz` archives.
    pub x_key: String,
    /// The labels' key in `.npz` archives (`None`: `y` where present).
    pub y_key: Option<String>,
    /// How images are read.
    pub image: ImageConfig,
}

/// One file or folder, read.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Where it was read from.
    pub path: PathBuf,
    /// What it is.
    pub kind: Kind,
    /// Its items.
    pub data: SampleDataset,
    /// A CSV file's feature columns.
    pub columns: Option<Vec<String>>,
}

impl Domain {
    /// Features or images.
    pub fn input(&self) -> InputKind {
        InputKind::of(self.kind)
    }

    fn folder(&self) -> Result<ImageFolder, Failure> {
        self.data
            .image_folder()
            .cloned()
            .ok_or_else(|| format!("{}: not images", self.path.display()).into())
    }
}

/// Reads `path` for `role`: the kind told by [`detect`], class labels read as classes
/// (a CSV's `label_column` where the file has it), and, for the roles that need them, class
/// labels checked for.
///
/// # Errors
///
/// One line naming the file: the readers' errors, a missing label column or labels, or data
/// of another task.
pub fn read(path: &Path, role: Role, options: &ReadOptions) -> Result<Domain, Failure> {
    let kind = detect(path).map_err(|e| named(path, e))?;
    let mut columns = None;
    let data = match kind {
        Kind::Csv => {
            let header = table::columns(path).map_err(|e| named(path, e))?;
            let has_label = header.contains(&options.label_column);
            // Where labels are needed, the reader's own error names the file, the column and
            // the header.
            let label = (has_label || role.needs_labels()).then_some(options.label_column.as_str());
            columns = Some(
                header
                    .into_iter()
                    .filter(|c| Some(c.as_str()) != label)
                    .collect(),
            );
            table::load_csv(path, label, LabelMode::Classes).map_err(|e| named(path, e))?
        }
        _ => {
            let open_options = OpenOptions {
                label_mode: LabelMode::Classes,
                x_key: options.x_key.clone(),
                y_key: options.y_key.clone(),
                image: Some(options.image.clone()),
                ..OpenOptions::default()
            };
            open(path, &open_options).map_err(|e| named(path, e))?
        }
    };
    if data.is_empty() {
        return Err(named(path, "holds no samples"));
    }
    if role.needs_labels() {
        match data.task() {
            Task::Classes { .. } => {}
            Task::Values => {
                return Err(named(
                    path,
                    format!(
                        "{} needs class labels, the file holds real values",
                        role.flag()
                    ),
                ));
            }
            Task::Unlabelled => {
                let hint = match kind {
                    Kind::ImageFiles => "images in class folders (folder/<class>/image.png)",
                    Kind::Npy => "a .npz with arrays x and y (a .npy holds features only)",
                    Kind::Npz => "the labels' array in the archive (--y-key)",
                    _ => "labels",
                };
                return Err(named(
                    path,
                    format!("{} needs class labels: expected {hint}", role.flag()),
                ));
            }
        }
    }
    if let Some(folder) = data.image_folder() {
        folder.check().map_err(|e| named(path, e))?;
    }
    Ok(Domain {
        path: path.to_path_buf(),
        kind,
        data,
        columns,
    })
}

/// The class names of labelled data: its names, or its class indices as text.
pub fn class_names(data: &SampleDataset) -> Vec<String> {
    match data.class_names() {
        Some(names) => names.to_vec(),
        None => (0..data.num_classes().unwrap_or(0))
            .map(|k| k.to_string())
            .collect(),
    }
}

/// `domain`'s class labels renumbered to `names` (the source's), matched by name (a class
/// without a name by its index as text). Unlabelled data is returned as it is.
///
/// # Errors
///
/// A class `names` does not hold, naming the file and the class.
pub fn map_classes(domain: &Domain, names: &[String]) -> Result<SampleDataset, Failure> {
    let data = &domain.data;
    if data.num_classes().is_none() {
        return Ok(data.clone());
    }
    let own = class_names(data);
    let mut mapping = Vec::with_capacity(own.len());
    for name in &own {
        match names.iter().position(|n| n == name) {
            Some(k) => mapping.push(k as u32),
            None => {
                // Only a class that occurs matters.
                let index = mapping.len() as u32;
                if data.labels().iter().any(|l| l.class() == Some(index)) {
                    return Err(named(
                        &domain.path,
                        format!(
                            "class {name:?} is not among the source's classes ({})",
                            names.join(", ")
                        ),
                    ));
                }
                mapping.push(u32::MAX);
            }
        }
    }
    match data.values() {
        Some(values) => {
            let labels = data
                .labels()
                .iter()
                .map(|label| match label {
                    Label::Class(k) => Label::Class(mapping[*k as usize]),
                    other => *other,
                })
                .collect();
            SampleDataset::from_values(
                values.to_vec(),
                data.shape().to_vec(),
                labels,
                Some(names.to_vec()),
            )
            .map_err(|e| named(&domain.path, e))
        }
        None => {
            if data.class_names().is_some() {
                // Class folders are never empty: every named class occurs, and is among
                // `names` (checked above).
                return data
                    .clone()
                    .remap_classes(names)
                    .map_err(|e| named(&domain.path, e));
            }
            // A list file's classes are indices: they must already be the source's.
            if mapping
                .iter()
                .enumerate()
                .all(|(k, &m)| m == k as u32 || m == u32::MAX)
            {
                Ok(data.clone())
            } else {
                Err(named(
                    &domain.path,
                    "its classes are indices and the source's classes are named: give both \
                     with names (class folders, CSV labels) or both as indices",
                ))
            }
        }
    }
}

/// The statistics of the source's values for `scope` (items of `shape`); a deviation below
/// 1e-6 (a constant feature) is taken as 1.
pub fn feature_stats(values: &[f32], shape: &[usize], scope: Scope) -> Standardisation {
    let item_len: usize = shape.iter().product();
    let (groups, group_of): (usize, Box<dyn Fn(usize) -> usize>) = match scope {
        Scope::Feature => (item_len, Box::new(|j| j)),
        Scope::Channel => {
            let channels = if shape.len() >= 3 { shape[0] } else { 1 };
            let plane = item_len / channels.max(1);
            (channels, Box::new(move |j| j / plane.max(1)))
        }
    };
    let mut sum = vec![0.0f64; groups];
    let mut sum_sq = vec![0.0f64; groups];
    let mut count = vec![0usize; groups];
    for item in values.chunks_exact(item_len.max(1)) {
        for (j, &v) in item.iter().enumerate() {
            let g = group_of(j);
            let v = f64::from(v);
            sum[g] += v;
            sum_sq[g] += v * v;
            count[g] += 1;
        }
    }
    let mut mean = Vec::with_capacity(groups);
    let mut std = Vec::with_capacity(groups);
    for g in 0..groups {
        let n = count[g].max(1) as f64;
        let m = sum[g] / n;
        let s = (sum_sq[g] / n - m * m).max(0.0).sqrt();
        mean.push(m as f32);
        std.push(if s < 1e-6 { 1.0 } else { s as f32 });
    }
    Standardisation { scope, mean, std }
}

/// `data` (in memory) standardised with `stats`; without its labels when `drop_labels`.
///
/// # Errors
///
/// Data not in memory, or statistics of another width.
pub fn standardised(
    domain: &Domain,
    data: &SampleDataset,
    stats: &Standardisation,
    drop_labels: bool,
) -> Result<SampleDataset, Failure> {
    let values = data
        .values()
        .ok_or_else(|| named(&domain.path, "not data in memory"))?;
    let shape = data.shape().to_vec();
    let item_len = data.item_len();
    let plane = match stats.scope {
        Scope::Feature => 1,
        Scope::Channel => item_len / stats.mean.len().max(1),
    };
    let groups = item_len / plane.max(1);
    if stats.scope == Scope::Feature && stats.mean.len() != item_len
        || stats.scope == Scope::Channel && groups != stats.mean.len()
    {
        return Err(named(
            &domain.path,
            format!(
                "items of {item_len} values do not fit a normalisation of {} {}s",
                stats.mean.len(),
                match stats.scope {
                    Scope::Feature => "feature",
                    Scope::Channel => "channel",
                }
            ),
        ));
    }
    let mut out = Vec::with_capacity(values.len());
    for item in values.chunks_exact(item_len) {
        for (j, &v) in item.iter().enumerate() {
            let g = j / plane;
            out.push((v - stats.mean[g]) / stats.std[g]);
        }
    }
    let (labels, names) = if drop_labels {
        (vec![Label::None; data.len()], None)
    } else {
        (
            data.labels().to_vec(),
            data.class_names().map(<[String]>::to_vec),
        )
    };
    SampleDataset::from_values(out, shape, labels, names).map_err(|e| named(&domain.path, e))
}

/// The data `adapt` trains on, normalised, with what `adapt.json` records.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Features or images.
    pub input: InputKind,
    /// The source, labelled.
    pub source: SampleDataset,
    /// The target, for training and predictions (in the file's order).
    pub target: SampleDataset,
    /// The labelled target test set, classes numbered as the source's.
    pub target_test: Option<SampleDataset>,
    /// The classes, in the model's output order.
    pub classes: Vec<String>,
    /// The normalisation.
    pub normalisation: Standardisation,
    /// How images are read (images only).
    pub image: Option<ImageSpec>,
    /// A CSV source's feature columns.
    pub columns: Option<Vec<String>>,
    /// Warnings for the user (feature columns named differently, ...).
    pub warnings: Vec<String>,
}

/// What [`prepare`] needs besides the files.
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// How files are read (the image configuration's channels and normalisation are
    /// settled here).
    pub read: ReadOptions,
    /// `--channels`, else 3 when either domain is in colour.
    pub channels: Option<usize>,
    /// Whether the model is a CNN (arrays are then normalised per channel).
    pub cnn: bool,
}

/// Reads the source, the target and the target test set, checks that they agree, and
/// normalises them with the source's statistics.
///
/// # Errors
///
/// One line naming the file and the problem.
pub fn prepare(
    source: &Path,
    target: &Path,
    target_test: Option<&Path>,
    options: &PrepareOptions,
) -> Result<Prepared, Failure> {
    let read_options = &options.read;
    let source = read(source, Role::Source, read_options)?;
    let target = read(target, Role::Target, read_options)?;
    let target_test = target_test
        .map(|path| read(path, Role::TargetTest, read_options))
        .transpose()?;
    let input = source.input();
    for other in std::iter::once(&target).chain(&target_test) {
        if other.input() != input {
            let what = |i: InputKind| match i {
                InputKind::Features => "numbers (CSV, .npy, .npz)",
                InputKind::Images => "images",
            };
            return Err(named(
                &other.path,
                format!(
                    "holds {}, the source {} holds {}",
                    what(other.input()),
                    source.path.display(),
                    what(input)
                ),
            ));
        }
    }
    let classes = class_names(&source.data);
    let mut warnings = Vec::new();
    let prepared = match input {
        InputKind::Features => {
            for other in std::iter::once(&target).chain(&target_test) {
                if other.data.shape() != source.data.shape() {
                    let describe = |d: &Domain| match &d.columns {
                        Some(c) => format!("{} feature columns", c.len()),
                        None => format!("items of shape {:?}", d.data.shape()),
                    };
                    return Err(named(
                        &other.path,
                        format!(
                            "{}, but the source {} has {}",
                            describe(other),
                            source.path.display(),
                            describe(&source)
                        ),
                    ));
                }
                if let (Some(mine), Some(theirs)) = (&other.columns, &source.columns)
                    && mine != theirs
                {
                    warnings.push(format!(
                        "{}: feature columns [{}] differ from the source's [{}]; they are matched by position",
                        other.path.display(),
                        mine.join(", "),
                        theirs.join(", ")
                    ));
                }
            }
            let shape = source.data.shape().to_vec();
            let scope = if options.cnn && shape.len() >= 2 {
                Scope::Channel
            } else {
                Scope::Feature
            };
            let values = source
                .data
                .values()
                .ok_or_else(|| named(&source.path, "not data in memory"))?;
            let stats = feature_stats(values, &shape, scope);
            let target_test = target_test
                .as_ref()
                .map(|d| {
                    let mapped = map_classes(d, &classes)?;
                    standardised(d, &mapped, &stats, false)
                })
                .transpose()?;
            Prepared {
                input,
                source: standardised(&source, &source.data, &stats, false)?,
                target: {
                    // The target's labels are never trained on; where they match the source's
                    // classes they are kept, so that the training's tracked target accuracy
                    // means something, and dropped otherwise.
                    match map_classes(&target, &classes) {
                        Ok(mapped) => standardised(&target, &mapped, &stats, false)?,
                        Err(_) => standardised(&target, &target.data, &stats, true)?,
                    }
                },
                target_test,
                classes,
                normalisation: stats,
                image: None,
                columns: source.columns.clone(),
                warnings,
            }
        }
        InputKind::Images => {
            let channels = match options.channels {
                Some(channels) => channels,
                None => {
                    let mut channels = 1;
                    for domain in [&source, &target] {
                        let colour = domain
                            .folder()?
                            .colour_channels(COLOUR_SAMPLE)
                            .map_err(|e| named(&domain.path, e))?;
                        channels = channels.max(colour);
                    }
                    channels
                }
            };
            let config = read_options
                .image
                .clone()
                .with_channels(channels)
                .with_normalisation(None);
            let source_folder = source
                .folder()?
                .with_config(config.clone())
                .map_err(|e| named(&source.path, e))?;
            let stats = source_folder
                .channel_stats(STATS_SAMPLE)
                .map_err(|e| named(&source.path, e))?;
            let config = config.with_normalisation(Some(stats.clone()));
            let reread = |domain: &Domain| -> Result<SampleDataset, Failure> {
                let folder = domain
                    .folder()?
                    .with_config(config.clone())
                    .map_err(|e| named(&domain.path, e))?;
                Ok(folder.into())
            };
            let target_data = reread(&target)?;
            // The target's labels are never trained on; named classes are numbered as the
            // source's where they can be, so that the training's target accuracy means
            // something.
            let target_data = match target_data.class_names() {
                Some(_) => target_data
                    .clone()
                    .remap_classes(&classes)
                    .unwrap_or(target_data),
                None => target_data,
            };
            let target_test = target_test
                .as_ref()
                .map(|d| {
                    let mapped = map_classes(d, &classes)?;
                    let folder = mapped
                        .image_folder()
                        .cloned()
                        .ok_or_else(|| named(&d.path, "not images"))?
                        .with_config(config.clone())
                        .map_err(|e| named(&d.path, e))?;
                    Ok::<_, Failure>(SampleDataset::from(folder))
                })
                .transpose()?;
            Prepared {
                input,
                source: reread(&source)?,
                target: target_data,
                target_test,
                classes,
                normalisation: Standardisation {
                    scope: Scope::Channel,
                    mean: stats.mean,
                    std: stats.std,
                },
                image: Some(ImageSpec {
                    height: config.height,
                    width: config.width,
                    channels,
                }),
                columns: None,
                warnings,
            }
        }
    };
    Ok(prepared)
}

/// Reads data to predict as the manifest says training read its data: the same image size,
/// channels and normalisation, or the same features standardised alike; classes matched to
/// the manifest's by name where the data is labelled.
///
/// # Errors
///
/// One line naming the file and the problem: unreadable data, another shape, another kind.
/// Returns the data, and whether its labels are the model's classes (an accuracy can be
/// measured).
// The program's warnings go to stderr.
#[allow(clippy::print_stderr)]
pub fn read_for_predict(
    path: &Path,
    manifest: &Manifest,
) -> Result<(SampleDataset, bool), Failure> {
    let image = manifest
        .image_config()
        .unwrap_or_else(|| ImageConfig::new(32, 32));
    let options = ReadOptions {
        label_column: manifest.label_column.clone(),
        x_key: manifest.x_key.clone(),
        y_key: manifest.y_key.clone(),
        image,
    };
    let domain = read(path, Role::Input, &options)?;
    if domain.input() != manifest.input {
        return Err(named(
            path,
            format!(
                "the model was trained on {}",
                match manifest.input {
                    InputKind::Features => "numbers (CSV, .npy, .npz), not images",
                    InputKind::Images => "images, not numbers",
                }
            ),
        ));
    }
    if domain.data.shape() != manifest.shape.as_slice() {
        let found = match &domain.columns {
            Some(c) => format!("{} feature columns", c.len()),
            None => format!("items of shape {:?}", domain.data.shape()),
        };
        return Err(named(
            path,
            format!(
                "{found}, but the model takes items of shape {:?}",
                manifest.shape
            ),
        ));
    }
    let (mapped, labelled) = match map_classes(&domain, &manifest.classes) {
        Ok(mapped) => {
            let labelled = mapped.num_classes().is_some();
            (mapped, labelled)
        }
        // A class the model does not know: predict anyway, without an accuracy.
        Err(error) => {
            eprintln!("warning: {error}: no accuracy is measured");
            (strip_labels(&domain)?, false)
        }
    };
    let data = match manifest.input {
        InputKind::Features => standardised(&domain, &mapped, &manifest.normalisation, false)?,
        InputKind::Images => mapped,
    };
    Ok((data, labelled))
}

/// `domain`'s data without labels (in memory) or as it is (images).
fn strip_labels(domain: &Domain) -> Result<SampleDataset, Failure> {
    match domain.data.values() {
        Some(values) => SampleDataset::from_values(
            values.to_vec(),
            domain.data.shape().to_vec(),
            vec![Label::None; domain.data.len()],
            None,
        )
        .map_err(|e| named(&domain.path, e)),
        None => Ok(domain.data.clone()),
    }
}

/// One row of `predictions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The predicted class.
    pub class: usize,
    /// Its softmax probability.
    pub confidence: f32,
}

/// `model`'s prediction for every item of `data`, in order (evaluation mode: call it with
/// the inner backend's model).
///
/// # Errors
///
/// Non-finite outputs.
pub fn predict<B, M, const D: usize>(
    model: &M,
    data: &SampleDataset,
    device: &B::Device,
) -> Result<Vec<Prediction>, Failure>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
    SampleBatcher: Batcher<B, Sample, DomainBatch<B, D>>,
{
    let loader: std::sync::Arc<dyn DataLoader<B, DomainBatch<B, D>>> =
        eval_loader::<B, Sample, SampleDataset, SampleBatcher, D>(data, data.batcher(), device);
    let mut out = Vec::with_capacity(data.len());
    for batch in loader.iter() {
        let probabilities = softmax(model.forward(batch.inputs), 1);
        let classes: TensorData = probabilities.clone().argmax(1).into_data();
        let confidences: TensorData = probabilities.max_dim(1).into_data();
        let confidences = confidences
            .to_vec::<f32>()
            .map_err(|e| format!("cannot read the predictions: {e:?}"))?;
        for (class, confidence) in classes.iter::<i64>().zip(confidences) {
            if !confidence.is_finite() {
                return Err("the model's outputs are not finite".into());
            }
            out.push(Prediction {
                class: class as usize,
                confidence,
            });
        }
    }
    if out.len() != data.len() {
        return Err(format!(
            "{} predictions for {} items: the loader ended early",
            out.len(),
            data.len()
        )
        .into());
    }
    Ok(out)
}

/// The share of `predictions` that match `data`'s class labels, where it has them.
pub fn accuracy(data: &SampleDataset, predictions: &[Prediction]) -> Option<f64> {
    data.num_classes()?;
    let labels = data.labels();
    let mut right = 0usize;
    let mut total = 0usize;
    for (label, prediction) in labels.iter().zip(predictions) {
        if let Some(class) = label.class() {
            total += 1;
            right += usize::from(class as usize == prediction.class);
        }
    }
    (total > 0).then(|| right as f64 / total as f64)
}

/// A CSV field, quoted where it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes `predictions.csv`: `item,class,confidence`, one row per item in order; `item` is
/// the image file (images) or the row index from 0 (tables, arrays), `class` the class name.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_predictions(
    path: &Path,
    data: &SampleDataset,
    predictions: &[Prediction],
    classes: &[String],
) -> Result<(), Failure> {
    let mut text = String::from("item,class,confidence\n");
    for (i, prediction) in predictions.iter().enumerate() {
        let item = match data.name(i) {
            Some(name) => name.display().to_string(),
            None => i.to_string(),
        };
        let class = classes
            .get(prediction.class)
            .cloned()
            .unwrap_or_else(|| prediction.class.to_string());
        let _ = writeln!(
            text,
            "{},{},{:.6}",
            field(&item),
            field(&class),
            prediction.confidence
        );
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// The images that failed to decode while reading `data`, as a warning.
pub fn decode_warning(data: &SampleDataset) -> Option<String> {
    let folder = data.image_folder()?;
    let count = folder.decode_failure_count();
    let first = folder.decode_failures().into_iter().next()?;
    Some(format!(
        "{count} image reads failed to decode and were read as blank images; the first: {}: {}",
        first.path.display(),
        first.message
    ))
}

/// Splits the source into training rows and held-out rows: `fraction` of each class (rounded
/// down, one training row always kept), drawn with `seed`. With no row held out (tiny data),
/// the held-out set is the whole source and the flag says so.
///
/// # Errors
///
/// A subset out of range (never, for indices made here).
pub fn split_source(
    data: &SampleDataset,
    fraction: f64,
    seed: u64,
) -> Result<(SampleDataset, SampleDataset, bool), DataError> {
    let classes = data.num_classes().unwrap_or(1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes.max(1)];
    for (i, label) in data.labels().iter().enumerate() {
        let k = label
            .class()
            .map_or(0, |k| k as usize)
            .min(classes.max(1) - 1);
        by_class[k].push(i);
    }
    let mut state = seed ^ 0x5DEE_CE66_D1CE_5EED;
    let mut next = move || {
        // SplitMix64.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut train = Vec::new();
    let mut held = Vec::new();
    for mut rows in by_class {
        for i in (1..rows.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            rows.swap(i, j);
        }
        let n_held =
            ((rows.len() as f64 * fraction).floor() as usize).min(rows.len().saturating_sub(1));
        held.extend_from_slice(&rows[..n_held]);
        train.extend_from_slice(&rows[n_held..]);
    }
    train.sort_unstable();
    held.sort_unstable();
    if held.is_empty() {
        return Ok((data.clone(), data.clone(), true));
    }
    Ok((data.subset(&train)?, data.subset(&held)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardising_uses_the_sources_statistics() {
        let stats = feature_stats(&[1.0, 10.0, 3.0, 10.0], &[2], Scope::Feature);
        assert_eq!(stats.mean, [2.0, 10.0]);
        assert_eq!(stats.std, [1.0, 1.0]);
        let stats = feature_stats(&[0.0, 2.0, 4.0, 4.0], &[2, 1, 1], Scope::Channel);
        assert_eq!(stats.mean, [2.0, 3.0]);
        assert_eq!(stats.std, [2.0, 1.0]);
    }

    #[test]
    fn fields_are_quoted_where_needed() {
        assert_eq!(field("a.png"), "a.png");
        assert_eq!(field("a,b.png"), "\"a,b.png\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn the_split_holds_out_a_share_of_each_class() {
        let labels: Vec<Label> = (0..40).map(|i| Label::Class((i % 2) as u32)).collect();
        let data =
            SampleDataset::from_values((0..40).map(|v| v as f32).collect(), vec![1], labels, None)
                .unwrap();
        let (train, held, overlap) = split_source(&data, 0.1, 3).unwrap();
        assert!(!overlap);
        assert_eq!((train.len(), held.len()), (36, 4));
        let held_classes: Vec<u32> = held.labels().iter().filter_map(|l| l.class()).collect();
        assert_eq!(held_classes.iter().filter(|&&k| k == 0).count(), 2);
        let tiny = data.subset(&[0, 1]).unwrap();
        let (_, _, overlap) = split_source(&tiny, 0.1, 3).unwrap();
        assert!(overlap);
    }
}
