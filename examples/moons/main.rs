//! Two moons, the toy problem of the DANN paper (Ganin et al., JMLR 2016, section 5.1):
//! source-only training against DANN, and a picture of their decision boundaries.
//!
//! ```text
//! cargo run --release -p shiftkit --example moons
//! cargo run --release -p shiftkit --example moons -- --seeds 0,1,2
//! ```
//!
//! The source domain is two interleaving noisy half-circles, 600 points; the target is a fresh
//! sample of the same distribution rotated by 35 degrees, whose labels training never reads.
//! The network is the paper's: one hidden layer of 15 sigmoid units, and for DANN a
//! logistic-regression domain classifier on it; Adam at 0.05, batches of 32, 150 epochs.
//!
//! It prints a table of target-test and source-test accuracy, and writes under `--out`
//! (default `out/moons`): `summary.json`, each run's history and training curves, and
//! `boundary_seed<N>.png`, one panel per method: the predicted class over the plane (pale
//! colours) with the source points (dots) and the target points (crosses) coloured by class.

// A command-line program: its results go to stdout, its progress to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../common/mod.rs"]
mod common;

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use shiftkit::backend::TrainingBackend;
use shiftkit::data::moons::MoonsConfig;
use shiftkit::data::{MoonsPair, PointBatcher, PointDataset};
use shiftkit::device::{DeviceRequest, Resolved};
use shiftkit::methods::{DannConfig, Encoder};
use shiftkit::nn::ShallowEncoderConfig;

use common::cli::{self, Cli, Opt};
use common::experiment::{
    self, CpuBackend, Length, Method, OnBackend, Run, RunSpec, train_and_evaluate,
};
use common::plot::{self, Axes, Canvas, Color, Marker, PALETTE, Rect};
use common::report;

const CLI: Cli = Cli {
    program: "moons",
    about: "Two moons, target rotated 35 degrees: source-only against DANN, with decision boundaries.",
    options: &[
        Opt::value("method", "LIST")
            .help("source_only, dann or all, comma-separated (default: all)"),
        Opt::value("seed", "N").help("the seed of data, weights and shuffling (default: 0)"),
        Opt::value("seeds", "LIST")
            .help("several seeds, comma-separated: the table shows mean ± std"),
        Opt::value("epochs", "N").help("epochs per run (default: 150)"),
        Opt::value("lr", "X").help("Adam's learning rate (default: 0.05)"),
        Opt::value("domain-weight", "X").help("weight of the domain loss for dann (default: 1.0)"),
        Opt::value("device", "DEV").help("auto, cpu, cuda or cuda:N (default: auto)"),
        Opt::value("backend", "NAME").help("the CPU backend: flex or ndarray (default: flex)"),
        Opt::value("out", "DIR").help("where the JSON and PNG files go (default: out/moons)"),
    ],
};

/// Points in each domain, before the 80/20 train/test split.
const SAMPLES: usize = 600;
/// Examples per batch, in each domain.
const BATCH: usize = 32;
/// The methods this task compares (MSTN's class centroids add nothing with two moons).
const METHODS: [Method; 2] = [Method::SourceOnly, Method::Dann];

/// Everything the command line decides.
struct Options {
    methods: Vec<Method>,
    seeds: Vec<u64>,
    epochs: usize,
    base: DannConfig,
    device: Resolved,
    backend: CpuBackend,
    out: PathBuf,
}

fn main() {
    let started = Instant::now();
    let options = parse_options();
    if let Err(error) = run(&options) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
    println!(
        "\ntotal wall time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Reads the command line; exits with status 2 on anything invalid.
fn parse_options() -> Options {
    let args = CLI.parse();
    let methods = args.list("method", &METHODS).unwrap_or(METHODS.to_vec());
    if methods.contains(&Method::DannMstn) {
        cli::fail("--method: the moons example compares source_only and dann");
    }
    let seeds = args
        .list("seeds", &[])
        .unwrap_or_else(|| vec![args.get("seed").unwrap_or(0)]);
    let epochs = args.get("epochs").unwrap_or(150);
    if epochs == 0 {
        cli::fail("--epochs must be at least 1");
    }
    // The paper's set-up: a logistic-regression discriminator (no hidden layer), two classes.
    let mut base = DannConfig::new()
        .with_lr(0.05)
        .with_discriminator_layers(0)
        .with_num_classes(2);
    if let Some(lr) = args.get("lr") {
        base = base.with_lr(lr);
    }
    if let Some(weight) = args.get("domain-weight") {
        base = base.with_domain_weight(weight);
    }
    if let Err(error) = base.check() {
        cli::fail(error);
    }
    Options {
        methods,
        seeds,
        epochs,
        base,
        device: args
            .get::<DeviceRequest>("device")
            .unwrap_or_default()
            .resolve()
            .unwrap_or_else(|e| cli::fail(e)),
        backend: args.get("backend").unwrap_or(CpuBackend::Flex),
        out: args
            .get("out")
            .unwrap_or_else(|| PathBuf::from("out/moons")),
    }
}

/// Trains every requested run on the requested device, then prints and writes the results.
fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(&options.out)
        .map_err(|e| format!("cannot create {}: {e}", options.out.display()))?;
    let runs = experiment::dispatch(options.device, options.backend, &Job(options))?;
    report::print_table(&runs);
    report::write_summary(&options.out, &runs)?;
    println!("\nresults written to {}/", options.out.display());
    Ok(())
}

/// The runs of this program, as a job for [`experiment::dispatch`].
struct Job<'a>(&'a Options);

impl OnBackend for Job<'_> {
    type Output = Vec<Run>;

    fn run<B>(&self, device: &B::Device) -> Result<Vec<Run>, Box<dyn Error>>
    where
        B: TrainingBackend,
    {
        run_all::<B>(self.0, device)
    }
}

/// Every seed x method on backend `B`; per seed, one decision-boundary figure.
fn run_all<B>(options: &Options, device: &B::Device) -> Result<Vec<Run>, Box<dyn Error>>
where
    B: TrainingBackend,
{
    let mut runs = Vec::new();
    for &seed in &options.seeds {
        let pair = MoonsConfig::new()
            .with_n_samples(SAMPLES)
            .with_seed(seed)
            .init()?;
        let mut figure = BoundaryFigure::new(&pair, options.methods.len());
        for (panel, &method) in options.methods.iter().enumerate() {
            let spec = RunSpec {
                method,
                model: "shallow",
                seed,
                config: method.configure(options.base.clone()),
                batch_size: BATCH,
                length: Length::Epochs(options.epochs),
            };
            let build = |device: &B::Device| ShallowEncoderConfig::new().init(device);
            let (run, trainer) =
                train_and_evaluate::<B, _, _, _, _, 2>(&spec, &pair, PointBatcher, build, device)?;
            report::write_run(&options.out, &run)?;
            figure.draw_panel(panel, &run, &trainer.model().valid(), device)?;
            runs.push(run);
        }
        let path = options.out.join(format!("boundary_seed{seed}.png"));
        figure
            .canvas
            .save(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(runs)
}

/// The decision-boundary figure of one seed: a panel per method, side by side, each showing
/// the class the model predicts at every pixel, the source training points as dots and the
/// target training points as crosses, coloured by their true class.
struct BoundaryFigure {
    canvas: Canvas,
    source: PointDataset,
    target: PointDataset,
    /// The data window shared by every panel.
    x: (f64, f64),
    y: (f64, f64),
}

/// Panel size, in pixels.
const PANEL: (f64, f64) = (680.0, 600.0);
/// The colour of each class: red for the upper moon, blue for the lower one.
const CLASS_COLORS: [Color; 2] = [PALETTE[3], PALETTE[0]];

impl BoundaryFigure {
    fn new(pair: &MoonsPair, panels: usize) -> Self {
        let points = || {
            pair.source_train
                .points()
                .iter()
                .chain(pair.target_train.points())
        };
        let margin = |(lo, hi): (f64, f64)| (lo - 0.3, hi + 0.3);
        Self {
            canvas: Canvas::new(panels * PANEL.0 as usize, PANEL.1 as usize),
            source: pair.source_train.clone(),
            target: pair.target_train.clone(),
            x: margin(plot::bounds(points().map(|p| f64::from(p[0])))),
            y: margin(plot::bounds(points().map(|p| f64::from(p[1])))),
        }
    }

    /// Draws panel `index` for a trained `model` (in evaluation mode, on the inner backend).
    fn draw_panel<B, M>(
        &mut self,
        index: usize,
        run: &Run,
        model: &M,
        device: &B::Device,
    ) -> Result<(), Box<dyn Error>>
    where
        B: Backend,
        M: Encoder<B, Input = Tensor<B, 2>>,
    {
        let area = Rect::new(index as f64 * PANEL.0, 0.0, PANEL.0, PANEL.1);
        let axes = Axes::with_equal_aspect(area, self.x, self.y);

        // The predicted class at every pixel of the frame, in one batch.
        let classes = predict(model, &axes.frame_points(), device)?;
        let background = CLASS_COLORS.map(|c| plot::paler(c, 0.8));
        axes.paint(&mut self.canvas, |i| background[classes[i].min(1)]);
        axes.draw_grid(&mut self.canvas);

        for (dataset, marker) in [(&self.source, Marker::Dot), (&self.target, Marker::Cross)] {
            for (point, &label) in dataset.points().iter().zip(dataset.labels()) {
                let at = axes.to_pixel(f64::from(point[0]), f64::from(point[1]));
                let color = CLASS_COLORS[usize::from(label).min(1)];
                self.canvas.marker(at, marker, color, 4.0);
            }
        }
        axes.draw_legend(
            &mut self.canvas,
            &[
                ("source 0", CLASS_COLORS[0], Marker::Dot),
                ("source 1", CLASS_COLORS[1], Marker::Dot),
                ("target 0", CLASS_COLORS[0], Marker::Cross),
                ("target 1", CLASS_COLORS[1], Marker::Cross),
            ],
        );
        let title = format!(
            "{}: target {:.1}%, source {:.1}%",
            run.spec.method.title(),
            100.0 * run.record.target_accuracy,
            100.0 * run.record.source_accuracy,
        );
        axes.draw_labels(&mut self.canvas, &title, "x1", "x2");
        Ok(())
    }
}

/// The class `model` predicts for each point.
fn predict<B, M>(
    model: &M,
    points: &[(f64, f64)],
    device: &B::Device,
) -> Result<Vec<usize>, Box<dyn Error>>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, 2>>,
{
    let coordinates: Vec<f32> = points
        .iter()
        .flat_map(|&(x, y)| [x as f32, y as f32])
        .collect();
    let inputs = Tensor::<B, 2>::from_data(TensorData::new(coordinates, [points.len(), 2]), device);
    let classes = model
        .forward(inputs)
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .to_vec::<i64>()
        .map_err(|e| format!("reading the predictions: {e:?}"))?;
    Ok(classes.into_iter().map(|c| c.max(0) as usize).collect())
}
