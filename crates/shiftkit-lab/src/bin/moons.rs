//! Two moons, the toy problem of the DANN paper (Ganin et al., JMLR 2016, section 5.1):
//! source-only training against DANN, and a picture of their decision boundaries.
//!
//! ```text
//! cargo run --release -p shiftkit-lab --bin moons
//! cargo run --release -p shiftkit-lab --bin moons -- --seeds 0,1,2
//! ```
//!
//! The source domain is two interleaving noisy half-circles, 600 points; the target is a fresh
//! sample of the same distribution rotated by 35 degrees, whose labels training never reads.
//! The network is the paper's: one hidden layer of 15 sigmoid units, and for DANN a
//! logistic-regression domain classifier on it; Adam at 0.05, batches of 32, 150 epochs.
//!
//! It prints a table of target-test and source-test accuracy, and writes under `--out`
//! (default `out/moons`): `summary.json` (written again as each run ends), each run's
//! history and training curves, and
//! `boundary_seed<N>.png`, one panel per method: the predicted class over the plane (pale
//! colours) with the source points (dots) and the target points (crosses) coloured by class.

// A command-line program: its results go to stdout, its progress to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use clap::Parser;
use plotters::prelude::*;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::moons::MoonsConfig;
use shiftkit::data::{MoonsPair, PointBatcher, PointDataset};
use shiftkit::device::{CpuBackend, DeviceRequest, OnBackend, Resolved};
use shiftkit::methods::DannConfig;
use shiftkit::methods::Method;
use shiftkit::nn::Encoder;
use shiftkit::nn::{ShallowEncoderConfig, save_encoder};
use shiftkit_lab::cli::{self, List, Persistence};
use shiftkit_lab::experiment::{Length, Run, RunSpec, train_and_evaluate};
use shiftkit_lab::plot::{self, FAMILY, PALETTE};
use shiftkit_lab::report;

/// Two moons, target rotated 35 degrees: source-only against DANN, with decision boundaries.
#[derive(Debug, Parser)]
#[command(name = "moons")]
struct Args {
    /// source_only, dann, dann_mstn, mmd, coral, cdan, cdan_e, mcc or all, comma-separated
    /// [default: source_only,dann]
    #[arg(long, value_name = "LIST", value_parser = cli::list::<Method>)]
    method: Option<List<Method>>,
    /// The seed of data, weights and shuffling
    #[arg(long, value_name = "N", default_value_t = 0, conflicts_with = "seeds")]
    seed: u64,
    /// Several seeds, comma-separated: the table shows mean ± std
    #[arg(long, value_name = "LIST", value_parser = cli::list::<u64>)]
    seeds: Option<List<u64>>,
    /// Epochs per run
    #[arg(long, value_name = "N", default_value = "150")]
    epochs: NonZeroUsize,
    /// Adam's learning rate
    #[arg(long, value_name = "X", default_value_t = 0.05)]
    lr: f64,
    /// Weight of the adversarial loss (dann, dann_mstn, cdan, cdan_e) [default: 1.0,
    /// ShiftKit's]
    #[arg(long, value_name = "X", value_parser = cli::weight)]
    domain_weight: Option<f64>,
    /// auto, cpu, cuda, cuda:N or wgpu (auto: CUDA, else a GPU through wgpu, else the CPU)
    #[arg(long, value_name = "DEV", default_value = "auto")]
    device: DeviceRequest,
    /// The CPU backend: flex, or ndarray (in a build with the feature `ndarray`)
    #[arg(long, value_name = "NAME", default_value = "flex")]
    backend: CpuBackend,
    /// Where the JSON and PNG files go
    #[arg(long, value_name = "DIR", default_value = "out/moons")]
    out: PathBuf,
    #[command(flatten)]
    persistence: Persistence,
}

/// Points in each domain, before the 80/20 train/test split.
const SAMPLES: usize = 600;
/// Examples per batch, in each domain.
const BATCH: usize = 32;

/// Everything the command line decides.
struct Options {
    methods: Vec<Method>,
    seeds: Vec<u64>,
    epochs: usize,
    base: DannConfig,
    out: PathBuf,
    persistence: Persistence,
}

fn main() {
    let started = Instant::now();
    let args = Args::parse();
    let fail = cli::fail::<Args>;
    let methods = args
        .method
        .map_or(vec![Method::SourceOnly, Method::Dann], |list| list.0);
    // The paper's set-up: a logistic-regression discriminator (no hidden layer), two classes.
    let mut base = DannConfig::new()
        .with_lr(args.lr)
        .with_discriminator_layers(0)
        .with_num_classes(2);
    // ShiftKit's adversarial weight, 1.0, on every adversarial method unless one is given.
    base = base.with_domain_weight(args.domain_weight.unwrap_or(1.0));
    if let Err(error) = base.check() {
        fail(error.to_string());
    }
    if let Err(problem) = args.persistence.check() {
        fail(problem);
    }
    let device = cli::resolve_device::<Args, Options>(args.device);
    let options = Options {
        methods,
        seeds: args.seeds.map_or(vec![args.seed], |list| list.0),
        epochs: args.epochs.get(),
        base,
        out: args.out,
        persistence: args.persistence,
    };
    if let Err(error) = run(&options, device, args.backend) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
    println!(
        "\ntotal wall time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Trains every requested run on the requested device (each run's files written as it ends),
/// then prints the results.
fn run(options: &Options, device: Resolved, backend: CpuBackend) -> Result<(), Box<dyn Error>> {
    let runs = cli::dispatch_into(&options.out, device, backend, options)??;
    report::finish(&options.out, &runs);
    Ok(())
}

/// Every seed x method on backend `B`, as a job for [`cli::dispatch_into`]; per seed, one
/// decision-boundary figure.
impl OnBackend for Options {
    /// As `digits`: each backend but flex in a build with the lab's feature of its name alone.
    const ON_NDARRAY: bool = cfg!(feature = "ndarray");
    const ON_CUDA: bool = cfg!(feature = "cuda");
    const ON_WGPU: bool = cfg!(feature = "wgpu");
    type Output = Result<Vec<Run>, Box<dyn Error>>;

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output {
        let options = self;
        let mut runs = Vec::new();
        let count = options.seeds.len() * options.methods.len();
        for &seed in &options.seeds {
            let pair = MoonsConfig::new()
                .with_n_samples(SAMPLES)
                .with_seed(seed)
                .init()?;
            let mut panels = Vec::new();
            for &method in &options.methods {
                let mut spec = RunSpec {
                    method,
                    model: "shallow",
                    seed,
                    config: method
                        .configure(options.base.clone())
                        .with_term_weight("domain", options.base.domain_weight),
                    batch_size: BATCH,
                    length: Length::Epochs(options.epochs),
                    checkpoint_dir: None,
                    resume: options.persistence.resume,
                    peers: 1,
                    nodes: None,
                };
                spec.checkpoint_dir = options.persistence.checkpoint_dir(&spec.stem());
                let config = ShallowEncoderConfig::new();
                let build = |device: &B::Device| config.init(device);
                let (run, trainer) = train_and_evaluate::<B, _, _, _, _, 2>(
                    &spec,
                    &pair,
                    PointBatcher,
                    build,
                    device,
                )?;
                if let Some(path) = options.persistence.export_path(&spec.stem(), count) {
                    save_encoder::<B, _>(&path, trainer.model(), &config)?;
                }
                let window = Window::around(&pair);
                let classes = predict(&trainer.model().valid(), &window.grid(), device)?;
                panels.push((run.clone(), classes));
                report::keep(&options.out, &mut runs, run)?;
            }
            let path = options.out.join(format!("boundary_seed{seed}.png"));
            boundary_figure(&path, &pair, &panels)
                .map_err(|e| format!("cannot draw {}: {e}", path.display()))?;
        }
        Ok(runs)
    }
}

/// Panel size, in pixels.
const PANEL: (u32, u32) = (680, 600);
/// Cells of the predicted-class background, across and up.
const GRID: usize = 160;
/// The colour of each class: red for the upper moon, blue for the lower one.
const CLASS_COLORS: [RGBColor; 2] = [PALETTE[3], PALETTE[0]];

/// The data window shared by every panel: the points, with a margin, widened so that one unit
/// spans as many pixels across as up (circles stay round).
struct Window {
    x: (f64, f64),
    y: (f64, f64),
}

impl Window {
    fn around(pair: &MoonsPair) -> Self {
        let points = || {
            pair.source_train
                .points()
                .iter()
                .chain(pair.target_train.points())
        };
        let margin = |(lo, hi): (f64, f64)| (lo - 0.3, hi + 0.3);
        let x = margin(plot::bounds(points().map(|p| f64::from(p[0]))));
        let y = margin(plot::bounds(points().map(|p| f64::from(p[1]))));
        // The plotting frame of a panel, about: the panel less the label areas and margins.
        let frame = (f64::from(PANEL.0) - 100.0, f64::from(PANEL.1) - 150.0);
        let scale = ((x.1 - x.0) / frame.0).max((y.1 - y.0) / frame.1);
        let widen = |(lo, hi): (f64, f64), pixels: f64| {
            let (centre, half) = ((lo + hi) / 2.0, scale * pixels / 2.0);
            (centre - half, centre + half)
        };
        Self {
            x: widen(x, frame.0),
            y: widen(y, frame.1),
        }
    }

    /// The centres of the background cells, row by row from the bottom.
    fn grid(&self) -> Vec<(f64, f64)> {
        let (dx, dy) = self.cell();
        (0..GRID)
            .flat_map(|row| {
                (0..GRID).map(move |col| {
                    (
                        self.x.0 + (col as f64 + 0.5) * dx,
                        self.y.0 + (row as f64 + 0.5) * dy,
                    )
                })
            })
            .collect()
    }

    fn cell(&self) -> (f64, f64) {
        (
            (self.x.1 - self.x.0) / GRID as f64,
            (self.y.1 - self.y.0) / GRID as f64,
        )
    }
}

/// The decision-boundary figure of one seed: a panel per method, side by side, each showing
/// the class the model predicts over the plane, the source training points as dots and the
/// target training points as crosses, coloured by their true class.
fn boundary_figure(
    path: &Path,
    pair: &MoonsPair,
    panels: &[(Run, Vec<usize>)],
) -> Result<(), Box<dyn Error>> {
    plot::register_embedded_font();
    let window = Window::around(pair);
    let (dx, dy) = window.cell();
    let root =
        BitMapBackend::new(path, (PANEL.0 * panels.len() as u32, PANEL.1)).into_drawing_area();
    root.fill(&WHITE)?;
    let areas = root.split_evenly((1, panels.len()));
    for (area, (run, classes)) in areas.iter().zip(panels) {
        let title = format!(
            "{}: target {:.1}%, source {:.1}%",
            run.spec.method.title(),
            100.0 * run.record.target_accuracy,
            100.0 * run.record.source_accuracy,
        );
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FAMILY, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(window.x.0..window.x.1, window.y.0..window.y.1)?;
        chart.draw_series(
            window
                .grid()
                .into_iter()
                .zip(classes)
                .map(|((x, y), &class)| {
                    let pale = CLASS_COLORS[class.min(1)].mix(0.2);
                    Rectangle::new(
                        [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                        pale.filled(),
                    )
                }),
        )?;
        chart
            .configure_mesh()
            .x_desc("x1")
            .y_desc("x2")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .light_line_style(TRANSPARENT)
            .draw()?;
        draw_points(&mut chart, &pair.source_train, false)?;
        draw_points(&mut chart, &pair.target_train, true)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One domain's points, one series per class: dots for the source, crosses for the target.
fn draw_points(
    chart: &mut Chart<'_, '_>,
    dataset: &PointDataset,
    target: bool,
) -> Result<(), Box<dyn Error>> {
    for (class, &color) in CLASS_COLORS.iter().enumerate() {
        let points = dataset
            .points()
            .iter()
            .zip(dataset.labels())
            .filter(move |&(_, &label)| usize::from(label).min(1) == class)
            .map(|(p, _)| (f64::from(p[0]), f64::from(p[1])));
        if target {
            chart
                .draw_series(points.map(|p| Cross::new(p, 4, color.stroke_width(2))))?
                .label(format!("target {class}"))
                .legend(move |(x, y)| Cross::new((x + 8, y), 4, color.stroke_width(2)));
        } else {
            chart
                .draw_series(points.map(|p| Circle::new(p, 4, color.filled())))?
                .label(format!("source {class}"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        }
    }
    Ok(())
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
