//! Domain adaptation on your own data, in one command: a labelled source, an unlabelled
//! target, and out comes an adapted model with its predictions for the target.
//!
//! ```text
//! cargo adapt --source PATH --target PATH [--target-test PATH] [--model auto|mlp|cnn]
//!             [--method auto|NAME,...] [--steps N] [--seed N] [--out DIR]
//! cargo adapt --predict --model-dir DIR --input PATH [--out DIR]
//! ```
//!
//! (`cargo adapt` is `cargo run --release -p shiftkit-lab --bin adapt --`.)
//!
//! # Data
//!
//! Each PATH is told by its layout or extension (`shiftkit_data::detect`):
//!
//! - a folder of class folders, `root/<class>/*.png` (also `.jpg`, `.bmp`, `.gif`, `.tif`,
//!   `.webp`): images labelled by their folder's name;
//! - a flat folder of images: unlabelled images (a target);
//! - a `.txt` list of `path label` lines (label a class index): labelled images;
//! - a `.csv` with a header row: every column a numeric feature but the label column
//!   (`--label-column`, default `label`; a target without it is unlabelled);
//! - a `.npz` with arrays `x` (features, `[N, F]`, or images `[N, H, W]`, `[N, C, H, W]`)
//!   and `y` (class indices; `--x-key`, `--y-key`), or a `.npy` of features (unlabelled).
//!
//! The source must have class labels. The target's labels, if it has any, are never trained
//! on. `--target-test` is labelled target data to measure the target accuracy on; its classes
//! are matched to the source's by name (class folder names, CSV label values, indices as
//! text). Images are resized to `--image-size` (default 32x32) and read in grey, or in colour
//! when either domain has colour images (`--channels`). Every domain is normalised with the
//! source's statistics: per channel for images (from up to 2,000 source images), per feature
//! for tables and arrays; `adapt.json` records them for `--predict`.
//!
//! # Model and method
//!
//! `--model auto` trains the reference MLP (`shiftkit::nn::MlpEncoderConfig`, its input as
//! wide as the features) on features and the reference CNN (`CnnEncoderConfig`, sized to the
//! images' channels and size) on images, each with as many classes as the source.
//! `--method auto` (the default) chooses without target labels (`shiftkit::select`, validator
//! `--validator`, default `im`) among every preset, source-only included, with the collapse
//! guard stopping an adapted candidate whose epoch raises an alarm; a list (`dann,mcc`)
//! chooses among those and source-only; a single name trains that method alone. Every method
//! starts from `DannConfig::recommended()` with the preset's own weights.
//!
//! # Outputs (in `--out`, default `adapt-out`)
//!
//! - `summary.json`: `{"runs": [{"method", "model", "seed", "target_accuracy",
//!   "source_accuracy", "seconds", "steps_per_second", "chosen"}], "chosen": METHOD}`, the
//!   digits program's schema (`target_accuracy` only with a labelled `--target-test`;
//!   `source_accuracy` on source rows held out from training, `--holdout`);
//! - `selection.json` when choosing (the lab's selection record);
//! - `encoder.mpk` and `encoder.json`: the chosen model and its configuration
//!   (`shiftkit::nn::records::load_encoder` reads them), and `adapt.json`: what `--predict`
//!   needs (model kind, item shape, class names, normalisation, image size and channels);
//! - `predictions.csv`: `item,class,confidence`, one row per target item in order (`item` the
//!   image file, or the row index from 0), `confidence` the softmax probability of `class`;
//! - `history_METHOD_MODEL_seedN.json`, `curves_METHOD_MODEL_seedN.png` per run trained, and
//!   `latent.png` (the chosen model's features, source against target).
//!
//! `--predict` reads `adapt.json` and the encoder from `--model-dir`, reads `--input` as
//! training read its data, writes `predictions.csv` to `--out` (default `MODEL_DIR/predict`)
//! and prints the accuracy when the input has labels.
//!
//! Bad input ends the program with one line, `error: ...`, naming the file and the problem,
//! and a non-zero status (1; 2 for a bad option).

// A command-line program: its results go to stdout, its progress to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::module::AutodiffModule;
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{DomainPair, ImageConfig, Sample, SampleBatcher, SampleDataset};
use shiftkit::device::{CpuBackend, DeviceRequest, OnBackend};
use shiftkit::methods::{DannConfig, DannTrainer, Method};
use shiftkit::nn::records::{EncoderConfig, load_encoder};
use shiftkit::nn::{CnnEncoder, CnnEncoderConfig, MlpEncoder, MlpEncoderConfig, save_encoder};
use shiftkit::select::{SelectConfig, grid};
use shiftkit::train::{CollapsePolicy, TrainableEncoder};
use shiftkit::validate::Validator;
use shiftkit_lab::adapt::{
    self, ENCODER, FORMAT, Failure, InputKind, MANIFEST, Manifest, ModelKind, PREDICTIONS,
    PrepareOptions, Prepared, ReadOptions,
};
use shiftkit_lab::cli;
use shiftkit_lab::experiment::{Length, PairBatcher, Run, RunRecord, RunSpec, train_and_evaluate};
use shiftkit_lab::latent;
use shiftkit_lab::report;
use shiftkit_lab::selection::{self, SelectionSpec, run_selection};

/// Domain adaptation on your own data: train on a labelled source so that the model carries
/// over to an unlabelled target, or predict with a model trained so.
#[derive(Debug, Parser)]
#[command(
    name = "adapt",
    after_help = "Examples:\n  cargo adapt --source mnist/ --target optdigits/ --target-test optdigits-test/\n  \
                  cargo adapt --source a.csv --target b.csv --method dann --steps 2000\n  \
                  cargo adapt --predict --model-dir adapt-out --input new.csv"
)]
struct Args {
    /// Labelled source data: a folder of class folders, a .csv with a label column, a .npz
    /// with x and y, or a .txt list of `path label` lines
    #[arg(long, value_name = "PATH", required_unless_present = "predict")]
    source: Option<PathBuf>,
    /// Target data, read unlabelled: a folder of images (flat or of class folders), a .csv,
    /// .npy, .npz or .txt list
    #[arg(long, value_name = "PATH", required_unless_present = "predict")]
    target: Option<PathBuf>,
    /// Labelled target data: the target accuracy is measured on it (classes matched to the
    /// source's by name)
    #[arg(long, value_name = "PATH")]
    target_test: Option<PathBuf>,
    /// The encoder: auto (the MLP for features, the CNN for images), mlp or cnn
    #[arg(long, value_name = "MODEL", default_value = "auto")]
    model: ModelChoice,
    /// auto (a label-free choice among every method), a method (source_only, dann,
    /// dann_mstn, mmd, coral, cdan, cdan_e, mcc), or a comma-separated list of methods to
    /// choose among (with source_only)
    #[arg(long, value_name = "auto|NAME,...", default_value = "auto")]
    method: String,
    /// What the labels are: classification (regression is not yet supported)
    #[arg(long, value_name = "TASK", default_value = "classification")]
    task: TaskChoice,
    /// Optimiser steps per run (each candidate, when choosing), rounded up to whole epochs
    #[arg(long, value_name = "N", default_value = "3000")]
    steps: NonZeroUsize,
    /// Examples per batch, in each domain
    #[arg(long, value_name = "N", default_value = "64")]
    batch_size: NonZeroUsize,
    /// Adam's learning rate [default: 0.001]
    #[arg(long, value_name = "X", value_parser = positive)]
    lr: Option<f64>,
    /// The seed of the source's split, the weights and the shuffling
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// The validator of the label-free choice: entropy, im, snd, iwcv or dev [default: im]
    #[arg(long, value_name = "NAME")]
    validator: Option<Validator>,
    /// When choosing: score every epoch and keep each candidate's best (else its last)
    #[arg(long)]
    choose_epoch: bool,
    /// The share of each source class held out of training, for the source accuracy and the
    /// choice's validation
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = fraction)]
    holdout: f64,
    /// CSV files' label column
    #[arg(long, value_name = "NAME", default_value = "label")]
    label_column: String,
    /// The features' array in .npz archives
    #[arg(long, value_name = "KEY", default_value = "x")]
    x_key: String,
    /// The labels' array in .npz archives [default: y, where present]
    #[arg(long, value_name = "KEY")]
    y_key: Option<String>,
    /// Images are resized to N x N (or H x W) pixels [default: 32]
    #[arg(long, value_name = "N|HxW", value_parser = image_size)]
    image_size: Option<(u32, u32)>,
    /// Image channels: 1 (grey) or 3 (RGB) [default: 3 when either domain has colour images,
    /// else 1]
    #[arg(long, value_name = "C", value_parser = clap::value_parser!(u8).range(1..=3))]
    channels: Option<u8>,
    /// Predict with a trained model instead of training: --model-dir and --input
    #[arg(long, conflicts_with_all = ["source", "target", "target_test"])]
    predict: bool,
    /// With --predict: the --out folder of a training run (adapt.json, encoder.mpk)
    #[arg(long, value_name = "DIR", requires = "predict")]
    model_dir: Option<PathBuf>,
    /// With --predict: the data to predict (any kind the model was trained on)
    #[arg(long, value_name = "PATH", requires = "predict")]
    input: Option<PathBuf>,
    /// Where the outputs go [default: adapt-out; with --predict, MODEL_DIR/predict]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// auto, cpu, cuda, cuda:N or wgpu (auto: CUDA, else a GPU through wgpu, else the CPU)
    #[arg(long, value_name = "DEV", default_value = "auto")]
    device: DeviceRequest,
    /// The CPU backend: flex, or ndarray (in a build with the feature `ndarray`)
    #[arg(long, value_name = "NAME", default_value = "flex")]
    backend: CpuBackend,
    /// Threads of the CPU backends' pool [default: Burn's, a thread per core]
    #[arg(long, value_name = "N")]
    threads: Option<NonZeroUsize>,
}

/// The fewest steps an epoch must have for the collapse guard to stop a candidate of the
/// choice (the guard judges whole epochs).
const GUARD_MIN_STEPS: usize = 25;

/// A feature-drift threshold no run reaches: drift is not judged.
const UNJUDGED_DRIFT: f64 = 1e12;

/// `--model`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelChoice {
    Auto,
    Mlp,
    Cnn,
}

/// `--task`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TaskChoice {
    Classification,
    Regression,
}

/// `--lr`: finite and above 0.
fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("{text} is not a finite number above 0")),
    }
}

/// `--holdout`: in `[0, 1)`.
fn fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if (0.0..1.0).contains(&value) => Ok(value),
        _ => Err(format!("{text} is not a number in [0, 1)")),
    }
}

/// `--image-size`: `N` or `HxW`, each at least 4 (the CNN's smallest).
fn image_size(text: &str) -> Result<(u32, u32), String> {
    let parse = |part: &str| {
        part.trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| (4..=4096).contains(&n))
            .ok_or_else(|| format!("{text:?}: expected N or HxW, each from 4 to 4096"))
    };
    match text.split_once(['x', 'X']) {
        Some((h, w)) => Ok((parse(h)?, parse(w)?)),
        None => {
            let n = parse(text)?;
            Ok((n, n))
        }
    }
}

/// Ends the program on a bad option: one line, status 2.
fn refuse(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}

/// `--method`: `auto`, one method, or a list to choose among.
#[derive(Debug, Clone, PartialEq)]
enum Methods {
    /// Train this method alone.
    One(Method),
    /// Choose among these (source-only always added).
    Choose(Vec<Method>),
}

fn methods(text: &str) -> Result<Methods, String> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(Methods::Choose(Method::ALL.to_vec()));
    }
    let list = cli::list::<Method>(text)
        .map_err(|e| format!("--method {text}: {e}"))?
        .0;
    Ok(match list.as_slice() {
        [one] => Methods::One(*one),
        _ => Methods::Choose(list),
    })
}

fn main() {
    let started = Instant::now();
    cli::log_to_stderr();
    let args = Args::parse();
    let result = if args.predict {
        predict_command(&args)
    } else {
        adapt_command(&args)
    };
    if let Err(error) = result {
        // One line, whatever the message.
        let message = error.to_string().replace(['\n', '\r'], " ");
        eprintln!("error: {message}");
        std::process::exit(1);
    }
    println!(
        "\ntotal wall time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Everything a training run needs, for every backend.
struct Job {
    data: Prepared,
    model: ModelKind,
    methods: Methods,
    base: DannConfig,
    seed: u64,
    length: Length,
    batch_size: usize,
    holdout: f64,
    validator: Validator,
    choose_epoch: bool,
    out: PathBuf,
    manifest: Manifest,
}

/// Trains: reads and checks the data, trains or chooses, writes every output, prints the
/// table.
fn adapt_command(args: &Args) -> Result<(), Failure> {
    if args.task == TaskChoice::Regression {
        return Err(
            "--task regression is not yet supported: adapt trains classifiers for now".into(),
        );
    }
    let methods = methods(&args.method).unwrap_or_else(|e| refuse(e));
    let (source, target) = match (&args.source, &args.target) {
        (Some(source), Some(target)) => (source, target),
        _ => refuse("--source and --target are required (or --predict)"),
    };
    let (height, width) = args.image_size.unwrap_or((32, 32));
    let read = ReadOptions {
        label_column: args.label_column.clone(),
        x_key: args.x_key.clone(),
        y_key: args.y_key.clone(),
        image: ImageConfig::new(height, width).with_channels(1),
    };
    let channels = args.channels.map(usize::from);
    if channels == Some(2) {
        refuse("--channels is 1 (grey) or 3 (RGB)");
    }
    cli::size_thread_pool::<Args>(args.threads);
    let device = cli::resolve_device::<Args, Job>(args.device);

    let options = PrepareOptions {
        read,
        channels,
        cnn: args.model == ModelChoice::Cnn,
    };
    let data = adapt::prepare(source, target, args.target_test.as_deref(), &options)?;
    for warning in &data.warnings {
        eprintln!("warning: {warning}");
    }
    let shape = data.source.shape().to_vec();
    let model = match (args.model, data.input) {
        (ModelChoice::Mlp, _) => ModelKind::Mlp,
        (ModelChoice::Cnn, _) => {
            if cnn_size(&shape).is_none() {
                return Err(format!(
                    "--model cnn needs images or arrays of images ([H, W] or [C, H, W], each \
                     side at least 4), the source {} has items of shape {shape:?}",
                    source.display()
                )
                .into());
            }
            ModelKind::Cnn
        }
        (ModelChoice::Auto, InputKind::Images) => ModelKind::Cnn,
        (ModelChoice::Auto, InputKind::Features) => match cnn_size(&shape) {
            Some(_) if shape.len() >= 2 => ModelKind::Cnn,
            _ => ModelKind::Mlp,
        },
    };
    // An array of images chosen for the CNN by `auto` is normalised per channel too.
    let data = if model == ModelKind::Cnn
        && data.input == InputKind::Features
        && args.model == ModelChoice::Auto
    {
        adapt::prepare(
            source,
            target,
            args.target_test.as_deref(),
            &PrepareOptions {
                cnn: true,
                ..options
            },
        )?
    } else {
        data
    };
    let num_classes = data.classes.len();
    if num_classes < 2 {
        return Err(format!(
            "{}: one class ({}) only: a classifier needs two at least",
            source.display(),
            data.classes.join(", ")
        )
        .into());
    }
    describe(&data, source, target, args.target_test.as_deref(), model);

    let mut base = DannConfig::recommended().with_num_classes(num_classes);
    if let Some(lr) = args.lr {
        base = base.with_lr(lr);
    }
    base.check()
        .map_err(|e| format!("the configuration: {e}"))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("adapt-out"));
    let manifest = Manifest {
        format: FORMAT.to_string(),
        task: "classification".to_string(),
        model,
        method: String::new(),
        input: data.input,
        shape,
        columns: data.columns.clone(),
        label_column: args.label_column.clone(),
        x_key: args.x_key.clone(),
        y_key: args.y_key.clone(),
        classes: data.classes.clone(),
        normalisation: data.normalisation.clone(),
        image: data.image,
        encoder: ENCODER.to_string(),
    };
    let job = Job {
        data,
        model,
        methods,
        base,
        seed: args.seed,
        length: Length::Steps(args.steps.get()),
        batch_size: args.batch_size.get(),
        holdout: args.holdout,
        validator: args.validator.unwrap_or_default(),
        choose_epoch: args.choose_epoch,
        out,
        manifest,
    };
    let outcome = cli::dispatch_into(&job.out, device, args.backend, &job)??;
    print!("\n{}", outcome.table);
    println!("\nresults written to {}/", job.out.display());
    Ok(())
}

/// `[height, width]` for the CNN, when items of `shape` are images of 1 or 3 channels at
/// least 4 pixels a side.
fn cnn_size(shape: &[usize]) -> Option<(usize, [usize; 2])> {
    let (channels, h, w) = match *shape {
        [h, w] => (1, h, w),
        [c, h, w] if c == 1 || c == 3 => (c, h, w),
        _ => return None,
    };
    (h >= 4 && w >= 4).then_some((channels, [h, w]))
}

/// Says on stderr what was read.
fn describe(data: &Prepared, source: &Path, target: &Path, test: Option<&Path>, model: ModelKind) {
    let items = |d: &SampleDataset| d.len();
    eprintln!(
        "source: {} ({} items, {} classes: {})",
        source.display(),
        items(&data.source),
        data.classes.len(),
        abbreviated(&data.classes)
    );
    eprintln!(
        "target: {} ({} items)",
        target.display(),
        items(&data.target)
    );
    if let (Some(path), Some(test)) = (test, &data.target_test) {
        eprintln!("target-test: {} ({} items)", path.display(), items(test));
    }
    let input = match data.image {
        Some(image) => format!(
            "images {}x{}x{} (channels x height x width)",
            image.channels, image.height, image.width
        ),
        None => format!("features of shape {:?}", data.source.shape()),
    };
    eprintln!("model: {} on {input}", model.name());
}

/// At most ten names, then a count.
fn abbreviated(names: &[String]) -> String {
    if names.len() <= 10 {
        names.join(", ")
    } else {
        format!(
            "{}, ... ({} more)",
            names[..10].join(", "),
            names.len() - 10
        )
    }
}

/// What a training job hands back.
struct Outcome {
    table: String,
}

impl OnBackend for Job {
    type Output = Result<Outcome, Failure>;
    const ON_NDARRAY: bool = cfg!(feature = "ndarray");
    const ON_CUDA: bool = cfg!(feature = "cuda");
    const ON_WGPU: bool = cfg!(feature = "wgpu");

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output {
        let classes = self.data.classes.len();
        match self.model {
            ModelKind::Mlp => {
                let config = MlpEncoderConfig::new()
                    .with_input_dim(self.data.source.item_len())
                    .with_num_classes(classes);
                train_with::<B, MlpEncoderConfig, 2>(self, config, device)
            }
            ModelKind::Cnn => {
                let (channels, size) =
                    cnn_size(self.data.source.shape()).ok_or("the CNN needs images")?;
                let config = CnnEncoderConfig::new()
                    .with_in_channels(channels)
                    .with_image_size(size)
                    .with_num_classes(classes);
                train_with::<B, CnnEncoderConfig, 4>(self, config, device)
            }
        }
    }
}

/// Trains (or chooses) with encoder configuration `config` on items batched as rank `D`,
/// and writes every output.
fn train_with<B, C, const D: usize>(
    job: &Job,
    config: C,
    device: &B::Device,
) -> Result<Outcome, Failure>
where
    B: TrainingBackend,
    C: EncoderConfig,
    C::Encoder<B>: TrainableEncoder<B, D>,
    DannTrainer<B, C::Encoder<B>, D>: Send,
    SampleBatcher: PairBatcher<B, Sample, D>,
{
    let data = &job.data;
    let (source_train, source_held, overlap) =
        adapt::split_source(&data.source, job.holdout, job.seed)?;
    if overlap {
        eprintln!(
            "warning: no source rows held out (--holdout {}, or too few rows a class): the \
             source accuracy and the choice's validation read training rows",
            job.holdout
        );
    }
    let pair = DomainPair {
        source_train,
        source_test: source_held,
        target_train: data.target.clone(),
        target_test: data
            .target_test
            .clone()
            .unwrap_or_else(|| data.target.clone()),
    };
    let has_target_test = data.target_test.is_some();
    let batcher: SampleBatcher = data.source.batcher();
    let build = |device: &B::Device| config.build::<B>(device);
    let model_name = job.model.name();
    let spec_of = |method: Method, config: DannConfig| RunSpec {
        method,
        model: model_name,
        seed: job.seed,
        config,
        batch_size: job.batch_size,
        length: job.length,
        checkpoint_dir: None,
        resume: false,
        peers: 1,
        nodes: None,
    };

    let (runs, chosen, model): (Vec<Run>, usize, C::Encoder<B>) = match &job.methods {
        Methods::One(method) => {
            let spec = spec_of(*method, method.configure(job.base.clone()));
            let (run, trainer) = train_and_evaluate::<B, _, Sample, SampleDataset, _, D>(
                &spec,
                &pair,
                batcher.clone(),
                build,
                device,
            )?;
            (vec![run], 0, trainer.model().clone())
        }
        Methods::Choose(methods) => {
            // The collapse guard stops an adapted candidate at its first alarm: it is then
            // left out of the choice. Source-only only reports (its failure would end the
            // choice). The guard compares epochs, with thresholds measured on epochs of over
            // a hundred steps; on epochs of a few steps the first ones are judged before the
            // model has learnt anything (one class takes every prediction, and the features
            // grow from their initial norm), so there it only reports, feature drift is not
            // judged, and the choice still passes over a candidate whose kept epoch raised
            // an alarm.
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
            let candidates: Vec<_> = grid(methods, &job.base, &[])?
                .into_iter()
                .map(|mut candidate| {
                    if !guard_stops {
                        candidate.config = candidate.config.with_drift_threshold(UNJUDGED_DRIFT);
                    } else if candidate.method != Method::SourceOnly {
                        candidate.config =
                            candidate.config.with_collapse_policy(CollapsePolicy::Stop);
                    }
                    candidate
                })
                .collect();
            let spec = SelectionSpec {
                model: model_name,
                seed: job.seed,
                batch_size: job.batch_size,
                length: job.length,
            };
            let select_config =
                SelectConfig::new(job.validator, 1).with_choose_epoch(job.choose_epoch);
            let bar = selection_bar(candidates.len());
            let mut seen: Vec<String> = Vec::new();
            let result = run_selection::<B, _, Sample, SampleDataset, _, D>(
                &spec,
                &candidates,
                select_config,
                &pair,
                batcher.clone(),
                build,
                device,
                |candidate, epoch, _, _| {
                    let label = candidate.label();
                    if !seen.contains(&label) {
                        seen.push(label.clone());
                        bar.set_position(seen.len() as u64);
                    }
                    bar.set_message(format!("{label}: epoch {epoch} scored"));
                },
            );
            bar.finish_and_clear();
            let (record, selection) = result?;
            eprint!("\n{}", record.table());
            selection::write(&job.out.join("selection.json"), &record)?;
            let runs = selection
                .candidates
                .iter()
                .zip(&record.candidates)
                .map(|(trained, measured)| {
                    let seconds: f64 = trained.history.iter().map(|r| r.seconds).sum();
                    let steps: usize = trained.history.iter().map(|r| r.steps).sum();
                    let method = trained.candidate.method;
                    Run {
                        spec: spec_of(method, trained.candidate.config.clone()),
                        record: RunRecord {
                            method: method.name(),
                            model: model_name,
                            seed: job.seed,
                            target_accuracy: measured.target_accuracy,
                            source_accuracy: measured.source_accuracy,
                            seconds,
                            steps_per_second: if steps == 0 {
                                0.0
                            } else {
                                steps as f64 / seconds.max(1e-9)
                            },
                        },
                        history: trained.history.clone(),
                    }
                })
                .collect();
            let model = selection.best().model.clone();
            (runs, selection.chosen, model)
        }
    };

    let out = &job.out;
    for run in &runs {
        report::write_run(out, run)?;
    }
    write_summary(out, &runs, chosen, has_target_test)?;
    let chosen_method = runs[chosen].spec.method;

    // The model, its configuration, and what --predict needs.
    save_encoder::<B, C>(&out.join(ENCODER), &model, &config)?;
    let manifest = Manifest {
        method: chosen_method.name().to_string(),
        ..job.manifest.clone()
    };
    report::write_json(&out.join(MANIFEST), &manifest)?;

    let valid = model.valid();
    let title = format!("{} {} seed {}", chosen_method.title(), model_name, job.seed);
    if let Err(error) = latent::draw_pair(
        &out.join("latent.png"),
        &title,
        &valid,
        &pair,
        batcher,
        device,
    ) {
        eprintln!("warning: no latent picture: {error}");
    }
    let predictions = adapt::predict::<B::InnerBackend, _, D>(&valid, &data.target, device)?;
    adapt::write_predictions(
        &out.join(PREDICTIONS),
        &data.target,
        &predictions,
        &data.classes,
    )?;
    // Clones of one folder share its record of failures: each warning once.
    let mut warnings: Vec<String> = Vec::new();
    for domain in [
        &pair.source_train,
        &pair.source_test,
        &pair.target_train,
        &pair.target_test,
    ] {
        if let Some(warning) = adapt::decode_warning(domain)
            && !warnings.contains(&warning)
        {
            eprintln!("warning: {warning}");
            warnings.push(warning);
        }
    }
    Ok(Outcome {
        table: table(&runs, chosen, has_target_test, &data.classes, &predictions),
    })
}

/// A bar over the candidates of a choice (the selection trains each without a step
/// observer: the bar moves as each candidate is scored).
fn selection_bar(candidates: usize) -> ProgressBar {
    let bar = ProgressBar::new(candidates as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:<26} {bar:16} {pos}/{len} candidates scored {elapsed} {msg}",
        )
        .expect("a valid template")
        .progress_chars("#>."),
    );
    bar.set_prefix("choosing a method");
    bar.enable_steady_tick(Duration::from_millis(250));
    if bar.is_hidden() {
        eprintln!("choosing among {candidates} candidates (each trained in turn)...");
    }
    bar
}

/// Writes `summary.json`: the digits program's `{"runs": [...]}`, each run's record with
/// `chosen`, `target_accuracy` only with a labelled target test set; and the chosen method.
fn write_summary(
    out: &Path,
    runs: &[Run],
    chosen: usize,
    has_target_test: bool,
) -> Result<(), Failure> {
    let mut records = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let mut value = serde_json::to_value(&run.record)?;
        if let Some(object) = value.as_object_mut() {
            if !has_target_test {
                object.remove("target_accuracy");
            }
            object.insert("chosen".to_string(), (i == chosen).into());
        }
        records.push(value);
    }
    let summary = serde_json::json!({
        "runs": records,
        "chosen": runs[chosen].record.method,
    });
    report::write_json(&out.join("summary.json"), &summary)
}

/// The results table: one row per run, the chosen one marked, and the predicted classes'
/// counts on the target.
fn table(
    runs: &[Run],
    chosen: usize,
    has_target_test: bool,
    classes: &[String],
    predictions: &[adapt::Prediction],
) -> String {
    let mut text = format!(
        "{:<12} {:<8} {:>5}  {:>14}  {:>14}  {:>14}  {:>10}\n",
        "method", "model", "seeds", "target acc %", "source acc %", "train time s", "steps/s"
    );
    for (i, run) in runs.iter().enumerate() {
        let r = &run.record;
        let target = if has_target_test {
            format!("{:.1}", 100.0 * r.target_accuracy)
        } else {
            "-".to_string()
        };
        let mark = if runs.len() > 1 && i == chosen {
            "  <- chosen"
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "{:<12} {:<8} {:>5}  {:>14}  {:>14.1}  {:>14.1}  {:>10.0}{mark}",
            r.method,
            r.model,
            1,
            target,
            100.0 * r.source_accuracy,
            r.seconds,
            r.steps_per_second,
        );
    }
    if !has_target_test {
        text.push_str("\n(no --target-test: no target accuracy)\n");
    }
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for p in predictions {
        *counts.entry(p.class).or_default() += 1;
    }
    let shares: Vec<String> = counts
        .iter()
        .map(|(&k, &n)| {
            let name = classes.get(k).map_or("?", String::as_str);
            format!(
                "{name} {:.0}%",
                100.0 * n as f64 / predictions.len().max(1) as f64
            )
        })
        .collect();
    let _ = writeln!(
        text,
        "\ntarget predictions by class: {}",
        abbreviated(&shares)
    );
    text
}

/// `--predict`: reads adapt.json and the encoder, predicts, writes predictions.csv.
fn predict_command(args: &Args) -> Result<(), Failure> {
    let (dir, input) = match (&args.model_dir, &args.input) {
        (Some(dir), Some(input)) => (dir, input),
        _ => refuse("--predict needs --model-dir and --input"),
    };
    let manifest = Manifest::read(dir)?;
    let (data, labelled) = adapt::read_for_predict(input, &manifest)?;
    let out = args.out.clone().unwrap_or_else(|| dir.join("predict"));
    cli::size_thread_pool::<Args>(args.threads);
    let device = cli::resolve_device::<Args, Predict>(args.device);
    let job = Predict {
        encoder: dir.join(&manifest.encoder),
        manifest,
        data,
        out,
        input: input.clone(),
    };
    let accuracy = cli::dispatch_into(&job.out, device, args.backend, &job)??;
    println!(
        "{} predictions for {} written to {}",
        job.data.len(),
        job.input.display(),
        job.out.join(PREDICTIONS).display()
    );
    if let Some(accuracy) = accuracy.filter(|_| labelled) {
        println!("accuracy on its labels: {:.1}%", 100.0 * accuracy);
    }
    Ok(())
}

/// A prediction job, for every backend.
struct Predict {
    manifest: Manifest,
    encoder: PathBuf,
    data: SampleDataset,
    out: PathBuf,
    input: PathBuf,
}

impl OnBackend for Predict {
    type Output = Result<Option<f64>, Failure>;
    const ON_NDARRAY: bool = cfg!(feature = "ndarray");
    const ON_CUDA: bool = cfg!(feature = "cuda");
    const ON_WGPU: bool = cfg!(feature = "wgpu");

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output {
        let predictions = match self.manifest.model {
            ModelKind::Mlp => {
                let (model, _): (MlpEncoder<B::InnerBackend>, MlpEncoderConfig) =
                    load_encoder::<B::InnerBackend, MlpEncoderConfig>(&self.encoder, device)?;
                adapt::predict::<B::InnerBackend, _, 2>(&model, &self.data, device)?
            }
            ModelKind::Cnn => {
                let (model, _): (CnnEncoder<B::InnerBackend>, CnnEncoderConfig) =
                    load_encoder::<B::InnerBackend, CnnEncoderConfig>(&self.encoder, device)?;
                adapt::predict::<B::InnerBackend, _, 4>(&model, &self.data, device)?
            }
        };
        adapt::write_predictions(
            &self.out.join(PREDICTIONS),
            &self.data,
            &predictions,
            &self.manifest.classes,
        )?;
        if let Some(warning) = adapt::decode_warning(&self.data) {
            eprintln!("warning: {warning}");
        }
        Ok(adapt::accuracy(&self.data, &predictions))
    }
}
