//! What a training job holds, and what its classifier and regression paths share: the
//! source's split, the candidates of a choice, the saved model.

// The program's warnings go to stderr.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use shiftkit::backend::TrainingBackend;
use shiftkit::data::{DomainPair, SampleDataset};
use shiftkit::methods::{DannConfig, Method};
use shiftkit::nn::records::EncoderConfig;
use shiftkit::nn::save_encoder;
use shiftkit::select::{Candidate, grid};
use shiftkit::train::{CollapsePolicy, EpochRecord};
use shiftkit::validate::Validator;

use super::manifest::Manifest;
use super::normalise::split_source;
use super::plan::Methods;
use super::predict::decode_warning;
use super::prepare::Prepared;
use super::{ENCODER, Failure, MANIFEST, ModelKind};
use crate::experiment::{Length, RunSpec};
use crate::report;

/// The fewest steps an epoch must have for the collapse guard to stop a candidate of the
/// choice (the guard judges whole epochs).
pub(super) const GUARD_MIN_STEPS: usize = 25;

/// A feature-drift threshold no run reaches: drift is not judged.
pub(super) const UNJUDGED_DRIFT: f64 = 1e12;

/// Everything a training run needs, for every backend.
pub struct Job {
    /// The data, read and normalised.
    pub data: Prepared,
    /// The encoder.
    pub model: ModelKind,
    /// A ResNet's torchvision weights (`--weights`).
    pub weights: Option<PathBuf>,
    /// Whether a ResNet's backbone is frozen (`--freeze-backbone`).
    pub freeze_backbone: bool,
    /// The method trained, or those chosen among.
    pub methods: Methods,
    /// The configuration every method starts from (its task and outputs set).
    pub base: DannConfig,
    /// The seed of the split, the weights and the shuffling.
    pub seed: u64,
    /// How long each run trains.
    pub length: Length,
    /// Examples per batch, in each domain.
    pub batch_size: usize,
    /// The share of the source held out of training.
    pub holdout: f64,
    /// The validator of the label-free choice.
    pub validator: Validator,
    /// Whether the choice keeps each candidate's best epoch.
    pub choose_epoch: bool,
    /// Where the outputs go.
    pub out: PathBuf,
    /// `adapt.json`, but for the method (set once trained).
    pub manifest: Manifest,
}

/// What a training job hands back.
pub struct Outcome {
    /// The results table, printed on stdout.
    pub table: String,
}

/// The source split into training and held-out rows (`job.holdout`, seeded), with the
/// target: the pair every run trains and is measured on.
///
/// # Errors
///
/// A subset out of range (never).
pub(super) fn domain_pair(job: &Job) -> Result<DomainPair<SampleDataset>, Failure> {
    let data = &job.data;
    let (source_train, source_held, overlap) = split_source(&data.source, job.holdout, job.seed)?;
    if overlap {
        let measure = if data.task.is_regression() {
            "source errors"
        } else {
            "source accuracy"
        };
        eprintln!(
            "warning: no source rows held out (--holdout {}, or too few rows a class): the \
             {measure} and the choice's validation read training rows",
            job.holdout
        );
    }
    Ok(DomainPair {
        source_train,
        source_test: source_held,
        target_train: data.target.clone(),
        target_test: data
            .target_test
            .clone()
            .unwrap_or_else(|| data.target.clone()),
    })
}

/// Whether the collapse guard may stop a candidate of the choice: only on epochs of
/// [`GUARD_MIN_STEPS`] steps or more (says so on stderr otherwise).
///
/// The collapse guard stops an adapted candidate at its first alarm: it is then left out of
/// the choice. Source-only only reports (its failure would end the choice). The guard
/// compares epochs, with thresholds measured on epochs of over a hundred steps; on epochs of
/// a few steps the first ones are judged before the model has learnt anything (one class
/// takes every prediction, and the features grow from their initial norm), so there it only
/// reports, feature drift is not judged, and the choice still passes over a candidate whose
/// kept epoch raised an alarm.
pub(super) fn guard_stops(job: &Job, pair: &DomainPair<SampleDataset>) -> bool {
    let rows = pair.source_train.len().max(pair.target_train.len());
    let epoch_steps = rows.div_ceil(job.batch_size);
    let guard_stops = epoch_steps >= GUARD_MIN_STEPS;
    if !guard_stops {
        eprintln!(
            "note: epochs of {epoch_steps} steps are too short for the collapse guard to \
             stop a candidate (it takes {GUARD_MIN_STEPS}): its alarms are recorded, and \
             a candidate whose kept epoch raised one is not chosen"
        );
    }
    guard_stops
}

/// The candidates of a choice among `methods` (with source-only), the guard set as
/// [`guard_stops`] decided.
///
/// # Errors
///
/// A grid the selection refuses.
pub(super) fn candidates(
    job: &Job,
    methods: &[Method],
    guard_stops: bool,
) -> Result<Vec<Candidate>, Failure> {
    Ok(grid(methods, &job.base, &[])?
        .into_iter()
        .map(|mut candidate| {
            if !guard_stops {
                candidate.config = candidate.config.with_drift_threshold(UNJUDGED_DRIFT);
            } else if candidate.method != Method::SourceOnly {
                candidate.config = candidate.config.with_collapse_policy(CollapsePolicy::Stop);
            }
            candidate
        })
        .collect())
}

/// Writes the model, its configuration, and what `--predict` needs (`adapt.json`, naming
/// `method`).
///
/// # Errors
///
/// A file that cannot be written.
pub(super) fn save_model<B, C>(
    job: &Job,
    model: &C::Encoder<B>,
    config: &C,
    method: Method,
) -> Result<(), Failure>
where
    B: TrainingBackend,
    C: EncoderConfig,
{
    save_encoder::<B, C>(&job.out.join(ENCODER), model, config)?;
    let manifest = Manifest {
        method: method.name().to_string(),
        ..job.manifest.clone()
    };
    report::write_json(&job.out.join(MANIFEST), &manifest)
}

/// Warns of the images that failed to decode in `pair`, each once (clones of one folder
/// share its record of failures).
pub(super) fn warn_decoding(pair: &DomainPair<SampleDataset>) {
    let mut warnings: Vec<String> = Vec::new();
    for domain in [
        &pair.source_train,
        &pair.source_test,
        &pair.target_train,
        &pair.target_test,
    ] {
        if let Some(warning) = decode_warning(domain)
            && !warnings.contains(&warning)
        {
            eprintln!("warning: {warning}");
            warnings.push(warning);
        }
    }
}

/// The [`RunSpec`] of `job`'s run of `method` with `config`.
pub(super) fn run_spec(job: &Job, method: Method, config: DannConfig) -> RunSpec {
    RunSpec {
        method,
        model: job.model.name(),
        seed: job.seed,
        config,
        batch_size: job.batch_size,
        length: job.length,
        checkpoint_dir: None,
        resume: false,
        peers: 1,
        nodes: None,
    }
}

/// The training steps a second of `history`, which took `seconds` (0 without steps).
pub(super) fn steps_per_second(history: &[EpochRecord], seconds: f64) -> f64 {
    let steps: usize = history.iter().map(|r| r.steps).sum();
    if steps == 0 {
        0.0
    } else {
        steps as f64 / seconds.max(1e-9)
    }
}
