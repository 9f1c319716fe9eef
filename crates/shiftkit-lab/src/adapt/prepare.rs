//! Every domain read, checked against the source and normalised with its statistics: for
//! training ([`prepare`]) or, as `adapt.json` says, for `--predict` ([`read_for_predict`]).

use std::path::Path;

use shiftkit::data::user::STATS_SAMPLE;
use shiftkit::data::{ImageConfig, Normalisation, SampleDataset};

use super::manifest::{ImageSpec, Manifest, Scope, Standardisation};
use super::normalise::{feature_stats, standardised};
use super::read::{Domain, ReadOptions, Role, class_names, map_classes, read, strip_labels};
use super::{COLOUR_SAMPLE, Failure, InputKind, TaskKind, named};

/// The data `adapt` trains on, normalised, with what `adapt.json` records.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Classes or values.
    pub task: TaskKind,
    /// Features or images.
    pub input: InputKind,
    /// The source, labelled.
    pub source: SampleDataset,
    /// The target, for training and predictions (in the file's order).
    pub target: SampleDataset,
    /// The labelled target test set, classes numbered as the source's.
    pub target_test: Option<SampleDataset>,
    /// The classes, in the model's output order (none for a regression).
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
    /// Images' normalisation when it is fixed (ImageNet's, for pretrained weights); `None`:
    /// the source's per-channel statistics.
    pub normalisation: Option<Normalisation>,
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
    let task = read_options.task;
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
                task,
                input,
                source: standardised(&source, &source.data, &stats, false)?,
                target: {
                    // The target's labels are never trained on; where they match the source's
                    // classes they are kept, so that the training's tracked target accuracy
                    // means something, and dropped otherwise (always, in a regression).
                    match map_classes(&target, &classes) {
                        Ok(mapped) if !task.is_regression() => {
                            standardised(&target, &mapped, &stats, false)?
                        }
                        _ => standardised(&target, &target.data, &stats, true)?,
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
            let stats = match &options.normalisation {
                Some(fixed) => fixed.clone(),
                None => source_folder
                    .channel_stats(STATS_SAMPLE)
                    .map_err(|e| named(&source.path, e))?,
            };
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
                task,
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
    let task = if manifest.task == TaskKind::Regression.name() {
        TaskKind::Regression
    } else {
        TaskKind::Classification
    };
    let options = ReadOptions {
        label_column: manifest.label_column.clone(),
        x_key: manifest.x_key.clone(),
        y_key: manifest.y_key.clone(),
        image,
        task,
    };
    let domain = match read(path, Role::Input, &options) {
        // Labels that are not numbers: predict anyway, without errors.
        Err(error) if task.is_regression() => {
            let domain = read(
                path,
                Role::Input,
                &ReadOptions {
                    task: TaskKind::Classification,
                    ..options
                },
            )
            .map_err(|_| error.to_string())?;
            eprintln!("warning: {error}: no errors are measured");
            Domain {
                data: strip_labels(&domain)?,
                ..domain
            }
        }
        other => other?,
    };
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
            let labelled = match task {
                TaskKind::Regression => mapped.task() == shiftkit::data::LabelKind::Values,
                TaskKind::Classification => mapped.num_classes().is_some(),
            };
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
