//! Domain adaptation on your own data, in one command: a labelled source, an unlabelled
//! target, and out comes an adapted model with its predictions for the target.
//!
//! ```text
//! cargo adapt --source PATH --target PATH [--target-test PATH] [--model auto|mlp|cnn|resnet18|..]
//!             [--weights FILE] [--task classification|regression] [--method auto|NAME,...]
//!             [--steps N] [--seed N] [--out DIR]
//! cargo adapt --predict --model-dir DIR --input PATH [--out DIR]
//! cargo adapt --embed PATH --model resnet18 --weights FILE --out DIR
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
//! The source must have labels: classes, or real values for a regression (`--task
//! regression`, or told by the data when `--task` is not given: a CSV label column of numbers
//! that are not all integers, an `.npz` `y` of a float type). The target's labels, if it has
//! any, are never trained on. `--target-test` is labelled target data to measure the target accuracy on; its classes
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
//! images' channels and size) on images, each with as many classes as the source (one
//! output, the value, for a regression: trained on the raw values with the squared error; the
//! inputs are normalised as for a classifier).
//! `--method auto` (the default) chooses without target labels (`shiftkit::select`, validator
//! `--validator`, default `im`) among every preset, source-only included, with the collapse
//! guard stopping an adapted candidate whose epoch raises an alarm; a list (`dann,mcc`)
//! chooses among those and source-only; a single name trains that method alone. Every method
//! starts from `DannConfig::recommended()` with the preset's own weights.
//!
//! `--model resnet18`, `resnet34` or `resnet50` trains torchvision's network
//! (`shiftkit::nn::ResNetConfig`: the backbone, a 256-wide bottleneck, the head) on images of
//! `--image-size` (default 224); `--weights` starts its backbone from a torchvision `.pth`
//! state dict or `.safetensors` file, the images then read in colour and normalised with
//! ImageNet's mean and deviation, as torchvision's weights expect. `--embed PATH` writes the
//! pooled backbone features of every image in PATH (a folder) to `--out`: `features.npy`
//! (`N x 512` for ResNet-18 and -34, `N x 2048` for ResNet-50, `f32`, rows in the order of
//! the sorted paths) and `features.csv` (`row,path`, the paths relative to PATH).
//! `--freeze-backbone` trains the bottleneck and the head alone.
//!
//! A regression trains the methods that need no classes: source-only, DANN, MMD and CORAL
//! (`auto` chooses among those four; MSTN, CDAN, CDAN+E and MCC read class predictions and are
//! refused). Its choice is made by `dev` (default) or `iwcv`, which weigh the held-out source
//! rows' squared errors; `entropy`, `im` and `snd` read class predictions and are refused.
//! The held-out source rows are a seeded random share (not by class).
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
//! A regression's outputs differ: `summary.json` runs have `target_mae`, `target_rmse`,
//! `target_r2` (with `--target-test`) and `source_mae`, `source_rmse`, `source_r2` instead of
//! accuracies; `selection.json` has each candidate's errors; `adapt.json` says `"task":
//! "regression"` (no classes); `predictions.csv` is `item,value`; `latent.png` is coloured by
//! domain only (there are no classes to colour by), and the curves' accuracy panel is 0.
//!
//! `--predict` reads `adapt.json` and the encoder from `--model-dir`, reads `--input` as
//! training read its data, writes `predictions.csv` to `--out` (default `MODEL_DIR/predict`)
//! and prints the accuracy (a regression: MAE, RMSE and R²) when the input has labels.
//!
//! Bad input ends the program with one line, `error: ...`, naming the file and the problem,
//! and a non-zero status (1; 2 for a bad option).

// A command-line program: its results go to stdout, its progress to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use shiftkit::data::{ImageConfig, ImageFolder, Normalisation};
use shiftkit::device::{CpuBackend, DeviceRequest};
use shiftkit::methods::DannConfig;
use shiftkit::nn::records::EncoderConfig;
use shiftkit::train::{RegressionLoss, Task};
use shiftkit::validate::Validator;
use shiftkit_lab::adapt::backbone::{Embed, FEATURE_PATHS, FEATURES, Pretrained};
use shiftkit_lab::adapt::{
    self, ENCODER, FORMAT, Failure, InputKind, Job, Manifest, Measured, ModelKind, PREDICTIONS,
    Predict, PrepareOptions, ReadOptions, TaskKind, cnn_size, methods, outputs,
};
use shiftkit_lab::cli;
use shiftkit_lab::experiment::Length;

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
    #[arg(long, value_name = "PATH", required_unless_present_any = ["predict", "embed"])]
    source: Option<PathBuf>,
    /// Target data, read unlabelled: a folder of images (flat or of class folders), a .csv,
    /// .npy, .npz or .txt list
    #[arg(long, value_name = "PATH", required_unless_present_any = ["predict", "embed"])]
    target: Option<PathBuf>,
    /// Labelled target data: the target accuracy is measured on it (classes matched to the
    /// source's by name)
    #[arg(long, value_name = "PATH")]
    target_test: Option<PathBuf>,
    /// The encoder: auto (the MLP for features, the CNN for images), mlp, cnn, or
    /// torchvision's resnet18, resnet34, resnet50
    #[arg(long, value_name = "MODEL", default_value = "auto")]
    model: ModelChoice,
    /// A ResNet's backbone starts from these torchvision weights (a .pth state dict or a
    /// .safetensors file); the images are then read in colour and normalised with ImageNet's
    /// mean and deviation
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// A ResNet's backbone stays as --weights set it: only the bottleneck and the head train
    #[arg(long)]
    freeze_backbone: bool,
    /// Write the pooled backbone features of every image in this folder (with --model
    /// resnet18|resnet34|resnet50 and --weights) to --out as features.npy and features.csv
    #[arg(long, value_name = "PATH", conflicts_with_all = ["source", "target", "target_test", "predict"])]
    embed: Option<PathBuf>,
    /// auto (a label-free choice among every method; for a regression, among source_only,
    /// dann, mmd, coral), a method (source_only, dann, dann_mstn, mmd, coral, cdan, cdan_e,
    /// mcc), or a comma-separated list of methods to choose among (with source_only)
    #[arg(long, value_name = "auto|NAME,...", default_value = "auto")]
    method: String,
    /// What the labels are: classification or regression [default: regression when the
    /// source's labels are numbers that are not all integers, else classification]
    #[arg(long, value_name = "TASK")]
    task: Option<TaskChoice>,
    /// A regression's source loss: Huber's with this delta (squared within it, linear
    /// beyond; robust to outlying labels) instead of the mean squared error
    #[arg(long, value_name = "DELTA", value_parser = positive)]
    huber: Option<f64>,
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
    /// The validator of the label-free choice: entropy, im, snd, iwcv or dev [default: im;
    /// dev for a regression, which takes iwcv or dev only]
    #[arg(long, value_name = "NAME")]
    validator: Option<Validator>,
    /// When choosing: score every epoch and keep each candidate's best (else its last)
    #[arg(long)]
    choose_epoch: bool,
    /// The share of each source class (a regression: of the source) held out of training, for
    /// the source accuracy (errors) and the choice's validation
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
    /// Images are resized to N x N (or H x W) pixels [default: 32; 224 for a ResNet]
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
    /// Replace the results of an earlier run in --out (refused without it)
    #[arg(long)]
    overwrite: bool,
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

/// `--model`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelChoice {
    Auto,
    Mlp,
    Cnn,
    Resnet18,
    Resnet34,
    Resnet50,
}

impl ModelChoice {
    /// The ResNet it names.
    fn resnet(self) -> Option<ModelKind> {
        match self {
            Self::Resnet18 => Some(ModelKind::Resnet18),
            Self::Resnet34 => Some(ModelKind::Resnet34),
            Self::Resnet50 => Some(ModelKind::Resnet50),
            Self::Auto | Self::Mlp | Self::Cnn => None,
        }
    }
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

fn main() {
    let started = Instant::now();
    cli::log_to_stderr();
    let args = Args::parse();
    let result = if args.predict {
        predict_command(&args)
    } else if let Some(images) = &args.embed {
        embed_command(&args, images)
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

/// The validator of a regression's choice: `dev` unless `iwcv` is asked for (the others read
/// class predictions).
fn regression_validator(asked: Option<Validator>) -> Validator {
    match asked {
        None => Validator::Dev,
        Some(validator @ (Validator::Dev | Validator::Iwcv)) => validator,
        Some(other) => refuse(format!(
            "--validator {}: it reads class predictions, and a regression predicts a value; a \
             regression is chosen by dev or iwcv",
            other.name()
        )),
    }
}

/// Trains: reads and checks the data, trains or chooses, writes every output, prints the
/// table.
fn adapt_command(args: &Args) -> Result<(), Failure> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("adapt-out"));
    unused_out(&out, "adapt.json", args.overwrite)?;
    let (source, target) = match (&args.source, &args.target) {
        (Some(source), Some(target)) => (source, target),
        _ => refuse("--source and --target are required (or --predict, or --embed)"),
    };
    let resnet = args.model.resnet();
    if args.weights.is_some() && resnet.is_none() {
        refuse("--weights are a ResNet's: --model resnet18, resnet34 or resnet50");
    }
    if args.freeze_backbone && resnet.is_none() {
        refuse(
            "--freeze-backbone freezes a ResNet's backbone: --model resnet18, resnet34 or resnet50",
        );
    }
    let (height, width) = args.image_size.unwrap_or(if resnet.is_some() {
        (224, 224)
    } else {
        (32, 32)
    });
    if let (Some(config), Some(weights)) =
        (resnet.and_then(ModelKind::resnet_config), &args.weights)
    {
        check_weights(&Pretrained {
            config,
            weights: Some(weights.clone()),
            frozen: false,
        })?;
    }
    let mut read = ReadOptions {
        label_column: args.label_column.clone(),
        x_key: args.x_key.clone(),
        y_key: args.y_key.clone(),
        image: ImageConfig::new(height, width).with_channels(1),
        task: TaskKind::Classification,
    };
    read.task = match args.task {
        Some(TaskChoice::Classification) => TaskKind::Classification,
        Some(TaskChoice::Regression) => TaskKind::Regression,
        None => adapt::detect_task(source, &read),
    };
    let task = read.task;
    if args.huber.is_some() && !task.is_regression() {
        refuse("--huber is a regression's loss: the labels are classes (--task regression?)");
    }
    let methods = methods(&args.method, task).unwrap_or_else(|e| refuse(e));
    let validator = if task.is_regression() {
        regression_validator(args.validator)
    } else {
        args.validator.unwrap_or_default()
    };
    let mut channels = args.channels.map(usize::from);
    if channels == Some(2) {
        refuse("--channels is 1 (grey) or 3 (RGB)");
    }
    // torchvision's weights take RGB, normalised with ImageNet's statistics.
    let pretrained = args.weights.is_some();
    if pretrained {
        if channels == Some(1) {
            refuse("--weights take colour images: --channels 3 (grey images are promoted)");
        }
        channels = Some(3);
    }
    cli::size_thread_pool::<Args>(args.threads);
    let device = cli::resolve_device::<Args, Job>(args.device);

    let options = PrepareOptions {
        read,
        channels,
        cnn: args.model == ModelChoice::Cnn || resnet.is_some(),
        normalisation: pretrained.then(Normalisation::imagenet),
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
        (ModelChoice::Resnet18, _) => resnet_model(ModelKind::Resnet18, &shape, source)?,
        (ModelChoice::Resnet34, _) => resnet_model(ModelKind::Resnet34, &shape, source)?,
        (ModelChoice::Resnet50, _) => resnet_model(ModelKind::Resnet50, &shape, source)?,
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
    let mut base = if task.is_regression() {
        DannConfig::recommended().with_num_classes(1).with_task(
            args.huber.map_or(Task::REGRESSION, |delta| {
                Task::Regression(RegressionLoss::Huber { delta })
            }),
        )
    } else {
        if num_classes < 2 {
            return Err(format!(
                "{}: one class ({}) only: a classifier needs two at least",
                source.display(),
                data.classes.join(", ")
            )
            .into());
        }
        DannConfig::recommended().with_num_classes(num_classes)
    };
    outputs::describe(&data, source, target, args.target_test.as_deref(), model);

    if let Some(lr) = args.lr {
        base = base.with_lr(lr);
    }
    base.check()
        .map_err(|e| format!("the configuration: {e}"))?;
    let manifest = Manifest {
        format: FORMAT.to_string(),
        task: task.name().to_string(),
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
        weights: args.weights.clone(),
        freeze_backbone: args.freeze_backbone,
        methods,
        base,
        seed: args.seed,
        length: Length::Steps(args.steps.get()),
        batch_size: args.batch_size.get(),
        holdout: args.holdout,
        validator,
        choose_epoch: args.choose_epoch,
        out,
        manifest,
    };
    let outcome = cli::dispatch_into(&job.out, device, args.backend, &job)??;
    print!("\n{}", outcome.table);
    println!("\nresults written to {}/", job.out.display());
    Ok(())
}

/// `--embed`: the pooled backbone features of every image in `images`.
fn embed_command(args: &Args, images: &std::path::Path) -> Result<(), Failure> {
    let Some(kind) = args.model.resnet() else {
        refuse("--embed runs a ResNet's backbone: --model resnet18, resnet34 or resnet50");
    };
    let Some(weights) = &args.weights else {
        refuse("--embed needs the backbone's weights: --weights FILE (.pth or .safetensors)");
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("embed-out"));
    unused_out(&out, FEATURES, args.overwrite)?;
    let (height, width) = args.image_size.unwrap_or((224, 224));
    let config = ImageConfig::new(height, width)
        .with_channels(3)
        .with_normalisation(Some(Normalisation::imagenet()));
    let folder = match shiftkit::data::detect(images).map_err(|e| adapt::named(images, e))? {
        shiftkit::data::Kind::ClassFolders => ImageFolder::classes(images, config),
        shiftkit::data::Kind::ImageFiles => ImageFolder::flat(images, config),
        _ => refuse(format!(
            "--embed {}: a folder of images (flat, or of class folders)",
            images.display()
        )),
    }
    .map_err(|e| adapt::named(images, e))?;
    let resnet = kind
        .resnet_config()
        .ok_or("a ResNet's configuration")?
        .with_image_size([height as usize, width as usize])
        .with_bottleneck(None);
    let model = Pretrained {
        config: resnet,
        weights: Some(weights.clone()),
        frozen: true,
    };
    check_weights(&model)?;
    cli::size_thread_pool::<Args>(args.threads);
    let device = cli::resolve_device::<Args, Embed>(args.device);
    let job = Embed {
        model,
        images: folder,
        out: out.clone(),
        batch_size: args.batch_size.get(),
    };
    let [rows, columns] = cli::dispatch_into(&out, device, args.backend, &job)??;
    println!(
        "{rows} images x {columns} features of {} written to {}/{FEATURES} (paths in {FEATURE_PATHS})",
        kind.name(),
        out.display()
    );
    Ok(())
}

/// `kind`, for a source of items of `shape`: images of at least 32x32.
fn resnet_model(
    kind: ModelKind,
    shape: &[usize],
    source: &std::path::Path,
) -> Result<ModelKind, Failure> {
    match cnn_size(shape) {
        Some((_, [h, w])) if h >= 32 && w >= 32 => Ok(kind),
        _ => Err(format!(
            "--model {} needs images of at least 32x32 (--image-size), the source {} has items \
             of shape {shape:?}",
            kind.name(),
            source.display()
        )
        .into()),
    }
}

/// Loads `model`'s weights once on the CPU, so that a file of another network is refused
/// before anything else is read or run.
fn check_weights(model: &Pretrained) -> Result<(), Failure> {
    model
        .build::<shiftkit::backend::CpuInner>(&Default::default())
        .map(|_| ())
        .map_err(|e| format!("--weights: {e}").into())
}

/// `--predict`: reads adapt.json and the encoder, predicts, writes predictions.csv.
/// Refuses an output folder that holds `marker` from an earlier run, unless `--overwrite`:
/// nothing a user saved is replaced without being asked.
fn unused_out(out: &std::path::Path, marker: &str, overwrite: bool) -> Result<(), Failure> {
    if overwrite || !out.join(marker).exists() {
        return Ok(());
    }
    Err(format!(
        "{}: holds {marker} of an earlier run; pass --overwrite to replace it, or choose another --out",
        out.display()
    )
    .into())
}

fn predict_command(args: &Args) -> Result<(), Failure> {
    let (dir, input) = match (&args.model_dir, &args.input) {
        (Some(dir), Some(input)) => (dir, input),
        _ => refuse("--predict needs --model-dir and --input"),
    };
    let manifest = Manifest::read(dir)?;
    let (data, labelled) = adapt::read_for_predict(input, &manifest)?;
    let out = args.out.clone().unwrap_or_else(|| dir.join("predict"));
    unused_out(&out, "predictions.csv", args.overwrite)?;
    cli::size_thread_pool::<Args>(args.threads);
    let device = cli::resolve_device::<Args, Predict>(args.device);
    let job = Predict {
        encoder: dir.join(&manifest.encoder),
        manifest,
        data,
        out,
        input: input.clone(),
    };
    let measured = cli::dispatch_into(&job.out, device, args.backend, &job)??;
    println!(
        "{} predictions for {} written to {}",
        job.data.len(),
        job.input.display(),
        job.out.join(PREDICTIONS).display()
    );
    match measured.filter(|_| labelled) {
        Some(Measured::Accuracy(accuracy)) => {
            println!("accuracy on its labels: {:.1}%", 100.0 * accuracy);
        }
        Some(Measured::Errors(e)) => println!(
            "errors on its values: MAE {:.4}  RMSE {:.4}  R² {:.3}",
            e.mae, e.rmse, e.r2
        ),
        None => {}
    }
    Ok(())
}
