//! One file or folder read for its role: the kind told by its layout or extension, labels
//! read as classes or values, and class labels matched to the source's by name.

use std::path::{Path, PathBuf};

use shiftkit::data::{
    ImageConfig, ImageFolder, Kind, Label, LabelKind, LabelMode, OpenOptions, SampleDataset,
    detect, open, table,
};

use super::{Failure, InputKind, TaskKind, named};

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
    /// What the labels are: classes, or (a regression) real values.
    pub task: TaskKind,
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

    pub(super) fn folder(&self) -> Result<ImageFolder, Failure> {
        self.data
            .image_folder()
            .cloned()
            .ok_or_else(|| format!("{}: not images", self.path.display()).into())
    }
}

/// Reads `path` for `role`: the kind told by [`detect`], labels read as `options.task` says
/// (a CSV's `label_column` where the file has it), and, for the roles that need them,
/// labels of that task checked for. A regression's target is read as the data says (its
/// labels, never trained on, are dropped by [`prepare`](fn@super::prepare)).
///
/// # Errors
///
/// One line naming the file: the readers' errors, a missing label column or labels, or data
/// of another task.
pub fn read(path: &Path, role: Role, options: &ReadOptions) -> Result<Domain, Failure> {
    let kind = detect(path).map_err(|e| named(path, e))?;
    let regression = options.task.is_regression();
    let mode = match (regression, role) {
        (false, _) => LabelMode::Classes,
        (true, Role::Target) => LabelMode::Auto,
        (true, _) => LabelMode::Values,
    };
    // A label the reader cannot take as a number, in a regression: say why numbers.
    let failed = |e: shiftkit::data::DataError| {
        if regression && role != Role::Target {
            named(
                path,
                format!("{e} (--task regression reads the labels as real values)"),
            )
        } else {
            named(path, e)
        }
    };
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
            table::load_csv(path, label, mode).map_err(failed)?
        }
        _ => {
            let open_options = OpenOptions {
                label_mode: mode,
                x_key: options.x_key.clone(),
                y_key: options.y_key.clone(),
                image: Some(options.image.clone()),
                ..OpenOptions::default()
            };
            open(path, &open_options).map_err(failed)?
        }
    };
    if data.is_empty() {
        return Err(named(path, "holds no samples"));
    }
    if role.needs_labels() {
        match data.task() {
            LabelKind::Classes { .. } if !regression => {}
            LabelKind::Values if regression => {}
            LabelKind::Classes { .. } => {
                return Err(named(
                    path,
                    format!(
                        "{} needs real values as labels for --task regression, the file holds \
                         classes",
                        role.flag()
                    ),
                ));
            }
            LabelKind::Values => {
                return Err(named(
                    path,
                    format!(
                        "{} needs class labels, the file holds real values",
                        role.flag()
                    ),
                ));
            }
            LabelKind::Unlabelled => {
                let hint = match kind {
                    Kind::ImageFiles => "images in class folders (folder/<class>/image.png)",
                    Kind::Npy => "a .npz with arrays x and y (a .npy holds features only)",
                    Kind::Npz => "the labels' array in the archive (--y-key)",
                    _ => "labels",
                };
                let what = if regression {
                    "labels (real values)"
                } else {
                    "class labels"
                };
                return Err(named(
                    path,
                    format!("{} needs {what}: expected {hint}", role.flag()),
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

/// What the source's labels are, as the data says: real values where a CSV's label column
/// holds numbers that are not all integers, or a `.npz`'s labels are of a float type; classes
/// otherwise (and where the file cannot be read: reading it for training says why).
pub fn detect_task(path: &Path, options: &ReadOptions) -> TaskKind {
    let data = match detect(path) {
        Ok(Kind::Csv) => table::load_csv(path, Some(&options.label_column), LabelMode::Auto),
        Ok(Kind::Npz) => open(
            path,
            &OpenOptions {
                label_mode: LabelMode::Auto,
                x_key: options.x_key.clone(),
                y_key: options.y_key.clone(),
                ..OpenOptions::default()
            },
        ),
        _ => return TaskKind::Classification,
    };
    match data.map(|d| d.task()) {
        Ok(LabelKind::Values) => TaskKind::Regression,
        _ => TaskKind::Classification,
    }
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

/// `domain`'s data without labels (in memory) or as it is (images).
pub(super) fn strip_labels(domain: &Domain) -> Result<SampleDataset, Failure> {
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
