//! The robustness suite: every method on every pair of the suite over seeds, the label-free
//! choice among them, and how well each validator ranks the runs.
//!
//! ```text
//! cargo suite                                          # every pair, every method
//! cargo suite --pairs mnist-textured --seeds 0 --steps 500
//! cargo suite --model cnn --pairs mnist-inverted,mnist-textured
//! cargo suite --pairs moons-20,moons-35,moons-50
//! cargo suite --render out/suite/suite.json --validator dev   # the tables again, another chooser
//! ```
//!
//! The pairs are the seven digit pairs of `shiftkit_data::suite` and two moons with the target
//! rotated by 20, 35 or 50 degrees. For each pair and seed, the candidates are source-only and
//! each `--method` with its default weights, trained as the `digits` program trains them (the
//! `--model` encoder, [`DannConfig::recommended`]) or, on the moons, as the `moons` program
//! does (the paper's shallow network, 150 epochs). Every epoch of every candidate is scored by
//! every validator, and, for the report only, tested on the target's test set. The label-free
//! choice (`--validator`, the epoch chosen too; where source-only's target predictions use
//! fewer than `sqrt(K)` effective classes, only adapted runs with class structure compete with
//! its last epoch, unless `--choose-without-transfer`) is the "selected" row. It prints and writes (under `--out`, default `out/suite`):
//!
//! - `suite.md`: per pair, each method's target and source test accuracy (mean over seeds),
//!   its gain over source-only, and how many runs ended collapsed (one class taking over the
//!   target predictions, by the trainer's guard); then, per validator, the Spearman rank
//!   correlation of its score with the target accuracy over all candidates and epochs, and
//!   the regret of its pick (best target accuracy among the runs minus the pick's).
//! - `suite.json`: every scored epoch (scores, accuracies, alarms, the target predictions'
//!   effective classes) and every run's end.

// A command-line program: its results go to stdout, its progress to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::data::dataset::Dataset;
use clap::{Parser, ValueEnum};
use serde::{Deserialize, Serialize};
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::moons::MoonsConfig;
use shiftkit::data::{
    DigitBatcher, DigitsPair, DomainPair, FlatDigitBatcher, PointBatcher, SuitePair,
};
use shiftkit::methods::DannConfig;
use shiftkit::methods::Method;
use shiftkit::nn::{CnnEncoderConfig, MlpEncoderConfig, NnError, ShallowEncoderConfig};
use shiftkit::select::{
    EpochScore, NoTransfer, Param, ScoredRun, SelectConfig, SelectWarning, decide, grid,
};
use shiftkit::train::Alarm;
use shiftkit::train::TrainableEncoder;
use shiftkit::train::evaluate;
use shiftkit::validate::{Validator, effective_classes};
use shiftkit_lab::cli::{self, List};
use shiftkit_lab::experiment::{Item, Length, PairBatcher, eval_loader};
use shiftkit_lab::report::write_json;
use shiftkit_lab::selection::{SelectionSpec, run_selection};
use shiftkit_lab::stats::{mean_std, spearman};

/// The methods the suite runs unless `--method` says otherwise: every preset, as a user's
/// `--method all` or [`Method::ALL`] gives them.
fn suite_methods() -> Vec<Method> {
    Method::ALL.to_vec()
}

/// Every method on every pair of the robustness suite, and the label-free choice among them.
#[derive(Debug, Parser)]
#[command(name = "suite")]
struct Args {
    /// Suite pairs (mnist-optdigits, optdigits-mnist, mnist-inverted, mnist-textured,
    /// mnist-noisy, mnist-rotated, mnist-thinned, moons-20, moons-35, moons-50; moons-N for
    /// any whole angle) or all, comma-separated
    #[arg(long, value_name = "LIST", default_value = "all")]
    pairs: String,
    /// Methods, comma-separated, or all (source_only is always run) [default: all]
    #[arg(long, value_name = "LIST", value_parser = cli::list::<Method>)]
    method: Option<List<Method>>,
    /// Seeds, comma-separated
    #[arg(long, value_name = "LIST", value_parser = cli::list::<u64>, default_value = "0,1,2")]
    seeds: List<u64>,
    /// Optimiser steps per run on the digit pairs, rounded up to whole epochs
    #[arg(long, value_name = "N", default_value = "1000")]
    steps: NonZeroUsize,
    /// The encoder: mlp or cnn
    #[arg(long, value_name = "NAME", default_value = "mlp")]
    model: SuiteModel,
    /// Examples per batch, in each domain
    #[arg(long, value_name = "N", default_value = "64")]
    batch_size: NonZeroUsize,
    /// The validator of the label-free choice: entropy, im, snd, iwcv or dev
    #[arg(long, value_name = "NAME", default_value_t = Validator::default())]
    validator: Validator,
    /// Choose by the scores even where the source-only model's target predictions use fewer
    /// than sqrt(K) effective classes (the library's `NoTransfer::Choose`); by default an
    /// adapted run must show class structure there to be chosen
    #[arg(long)]
    choose_without_transfer: bool,
    /// Threads of the CPU backend's pool [default: Burn's, a thread per core]
    #[arg(long, value_name = "N")]
    threads: Option<NonZeroUsize>,
    /// Where suite.md and suite.json go
    #[arg(long, value_name = "DIR", default_value = "out/suite")]
    out: PathBuf,
    /// Train nothing: render the tables of an earlier run's suite.json (with --validator)
    #[arg(long, value_name = "FILE")]
    render: Option<PathBuf>,
}

/// A pair of the suite: a digit pair, or two moons with the target rotated by some degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair {
    Digits(SuitePair),
    Moons(u32),
}

impl Pair {
    /// Every pair: the seven digit pairs, then the moons at 20, 35 and 50 degrees.
    fn all() -> Vec<Pair> {
        let digits = SuitePair::ALL.iter().copied().map(Pair::Digits);
        digits.chain(MOONS_ANGLES.map(Pair::Moons)).collect()
    }

    fn name(self) -> String {
        match self {
            Pair::Digits(pair) => pair.name().to_string(),
            Pair::Moons(degrees) => format!("moons-{degrees}"),
        }
    }

    /// The number of classes.
    fn classes(self) -> usize {
        match self {
            Pair::Digits(_) => 10,
            Pair::Moons(_) => 2,
        }
    }

    /// The pair a name stands for.
    fn parse(name: &str) -> Result<Pair, String> {
        if let Some(degrees) = name.strip_prefix("moons-") {
            return degrees
                .parse()
                .map(Pair::Moons)
                .map_err(|_| format!("{name}: expected moons-<whole degrees>, e.g. moons-35"));
        }
        name.parse().map(Pair::Digits).map_err(|e| e.to_string())
    }
}

/// Points in each moons domain, before the 80/20 train/test split (as the moons program).
const MOONS_SAMPLES: usize = 600;

/// The moons' rotations in the suite (degrees).
const MOONS_ANGLES: [u32; 3] = [20, 35, 50];

/// The encoder of a suite.json that names none: the MLP.
fn default_model() -> String {
    "mlp".to_string()
}

/// `--model`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SuiteModel {
    /// `784 -> 512 -> 256 -> 128` on flat inputs.
    Mlp,
    /// Two conv-BN-ReLU-pool blocks on 1x28x28 images.
    Cnn,
}

impl SuiteModel {
    fn name(self) -> &'static str {
        match self {
            SuiteModel::Mlp => "mlp",
            SuiteModel::Cnn => "cnn",
        }
    }
}

/// One scored epoch of one candidate.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Point {
    pair: String,
    seed: u64,
    method: String,
    epoch: usize,
    /// Target-test accuracy (report only: no choice reads it).
    target_accuracy: f64,
    /// Source-test accuracy.
    source_accuracy: f64,
    /// Every validator's score.
    scores: BTreeMap<String, f64>,
    /// Whether the collapse guard raised an alarm this epoch.
    alarmed: bool,
    /// The effective number of classes of the target predictions (optional in a suite.json:
    /// [`Point::classes_used`] derives it where it is absent).
    #[serde(default)]
    effective_classes: Option<f64>,
}

impl Point {
    /// The effective number of classes of the target predictions, `exp(H(mean p))`. When not
    /// recorded, it follows from two scores: information maximisation is `H(mean p)` minus
    /// the mean entropy, and the entropy score is minus the mean entropy.
    fn classes_used(&self) -> Option<f64> {
        self.effective_classes.or_else(|| {
            let (im, entropy) = (self.scores.get("im")?, self.scores.get("entropy")?);
            Some((im - entropy).exp())
        })
    }
}

/// How one candidate's run ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct End {
    pair: String,
    seed: u64,
    method: String,
    target_accuracy: f64,
    source_accuracy: f64,
    /// The last epoch raised a class-collapse alarm.
    collapsed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct SuiteRecord {
    steps: usize,
    /// The encoder: mlp or cnn.
    #[serde(default = "default_model")]
    model: String,
    points: Vec<Point>,
    ends: Vec<End>,
}

fn main() {
    let started = Instant::now();
    let args = Args::parse();
    let mut pairs: Vec<Pair> = if args.pairs.trim().eq_ignore_ascii_case("all") {
        Pair::all()
    } else {
        args.pairs
            .split(',')
            .map(|name| {
                Pair::parse(name.trim())
                    .unwrap_or_else(|e| cli::fail::<Args>(format!("--pairs: {e}")))
            })
            .collect()
    };
    // A pair named twice (`moons-35,moons-035`) is trained and counted once.
    let mut seen = Vec::new();
    pairs.retain(|pair| {
        let first = !seen.contains(&pair.name());
        seen.push(pair.name());
        first
    });
    let methods = args
        .method
        .clone()
        .map_or_else(suite_methods, |list| list.0);
    cli::size_thread_pool::<Args>(args.threads);
    let result = match &args.render {
        Some(path) => render(path, &pairs, args.validator, !args.choose_without_transfer),
        None => run(&args, &pairs, &methods),
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
    println!(
        "\ntotal wall time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Prints the tables of a suite.json.
fn render(
    path: &std::path::Path,
    pairs: &[Pair],
    validator: Validator,
    keep: bool,
) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let record: SuiteRecord =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let present: Vec<Pair> = pairs
        .iter()
        .copied()
        .filter(|p| record.ends.iter().any(|e| e.pair == p.name()))
        .collect();
    if present.is_empty() {
        return Err(format!(
            "{} holds none of the pairs asked for (--pairs)",
            path.display()
        )
        .into());
    }
    print!("{}", tables(&record, &present, validator, keep));
    Ok(())
}

fn run(args: &Args, pairs: &[Pair], methods: &[Method]) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    // Each method's own weights; the CNN's MSTN weight as digits sets it (3x the MLP's norm).
    let cnn = args.model == SuiteModel::Cnn;
    let semantic = if cnn { 0.2 } else { 0.5 };
    let candidates: Vec<_> = grid(methods, &DannConfig::recommended(), &[])?
        .into_iter()
        .map(|c| c.with_fixed(Param::SemanticWeight, semantic))
        .collect();
    // The moons program's regime (the DANN paper's): a logistic-regression discriminator, two
    // classes, Adam at 0.05, batches of 32, 150 epochs.
    let moons_base = DannConfig::new()
        .with_lr(0.05)
        .with_discriminator_layers(0)
        .with_num_classes(2);
    // ShiftKit's adversarial weight, 1.0, as the moons program uses.
    let moons_candidates: Vec<_> = grid(methods, &moons_base, &[])?
        .into_iter()
        .map(|c| c.with_fixed(Param::DomainWeight, 1.0))
        .collect();
    let mut record = SuiteRecord {
        steps: args.steps.get(),
        model: args.model.name().to_string(),
        points: Vec::new(),
        ends: Vec::new(),
    };
    for &pair_name in pairs {
        for &seed in &args.seeds.0 {
            let spec = SelectionSpec {
                model: args.model.name(),
                seed,
                batch_size: args.batch_size.get(),
                length: Length::Steps(args.steps.get()),
            };
            let started = Instant::now();
            let run = match (pair_name, args.model) {
                (Pair::Digits(digits), SuiteModel::Mlp) => {
                    let config = MlpEncoderConfig::new();
                    run_pair::<_, _, _, _, 2>(
                        &spec,
                        &candidates,
                        args.validator,
                        pair_name,
                        &DigitsPair::suite(digits, seed)?,
                        FlatDigitBatcher,
                        |device| config.init(device),
                    )?
                }
                (Pair::Digits(digits), SuiteModel::Cnn) => {
                    let config = CnnEncoderConfig::new();
                    run_pair::<_, _, _, _, 4>(
                        &spec,
                        &candidates,
                        args.validator,
                        pair_name,
                        &DigitsPair::suite(digits, seed)?,
                        DigitBatcher,
                        |device| config.init(device),
                    )?
                }
                // The moons have one network whatever --model says: the paper's shallow one.
                (Pair::Moons(degrees), _) => {
                    let pair = MoonsConfig::new()
                        .with_n_samples(MOONS_SAMPLES)
                        .with_angle_degrees(f64::from(degrees))
                        .with_seed(seed)
                        .init()?;
                    let spec = SelectionSpec {
                        model: "shallow",
                        batch_size: 32,
                        length: Length::Epochs(150),
                        ..spec
                    };
                    let config = ShallowEncoderConfig::new();
                    run_pair::<_, _, _, _, 2>(
                        &spec,
                        &moons_candidates,
                        args.validator,
                        pair_name,
                        &pair,
                        PointBatcher,
                        |device| config.init(device),
                    )?
                }
            };
            eprintln!(
                "{:<16} seed {seed}: chose {} (epoch {}): target {:.1}%  ({:.0} s)",
                pair_name.name(),
                run.chosen_label,
                run.chosen_epoch,
                100.0 * run.chosen_target_accuracy,
                started.elapsed().as_secs_f64()
            );
            for warning in &run.warnings {
                eprintln!("{:<16} seed {seed}: warning: {warning}", pair_name.name());
            }
            record.points.extend(run.points);
            record.ends.extend(run.ends);
            write_json(&args.out.join("suite.json"), &record)?;
        }
    }
    let text = tables(
        &record,
        pairs,
        args.validator,
        !args.choose_without_transfer,
    );
    print!("\n{text}");
    std::fs::write(args.out.join("suite.md"), &text)?;
    println!("\nresults written to {}/", args.out.display());
    Ok(())
}

/// What one pair and seed gave.
struct PairRun {
    points: Vec<Point>,
    ends: Vec<End>,
    chosen_label: String,
    chosen_epoch: usize,
    chosen_target_accuracy: f64,
    warnings: Vec<String>,
}

/// Every candidate on one pair and seed with one encoder: every epoch scored by every
/// validator and tested on both test sets (for the report only), and the label-free choice.
fn run_pair<Bt, M, I, Ds, const D: usize>(
    spec: &SelectionSpec,
    candidates: &[shiftkit::select::Candidate],
    validator: Validator,
    pair_name: Pair,
    pair: &DomainPair<Ds>,
    batcher: Bt,
    build: impl Fn(&burn::backend::flex::FlexDevice) -> Result<M, NnError>,
) -> Result<PairRun, Box<dyn Error>>
where
    M: TrainableEncoder<Cpu, D>,
    Bt: PairBatcher<Cpu, I, D>,
    I: Item,
    Ds: Dataset<I> + Clone + 'static,
{
    let device = Default::default();
    let test_loader =
        |data: &Ds| eval_loader::<CpuInner, I, Ds, Bt, D>(data, batcher.clone(), &device);
    let target_test = test_loader(&pair.target_test);
    let source_test = test_loader(&pair.source_test);
    let mut points: Vec<Point> = Vec::new();
    let (selection_record, selection) = run_selection::<Cpu, _, _, _, _, D>(
        spec,
        candidates,
        SelectConfig::new(validator, 0).with_choose_epoch(true),
        pair,
        batcher.clone(),
        build,
        &device,
        |candidate, epoch, model, inputs| {
            let mut scores = BTreeMap::new();
            for validator in Validator::ALL {
                // A score that cannot be computed is left out (reported as absent).
                if let Ok(score) = validator.score(inputs) {
                    scores.insert(validator.name().to_string(), score);
                }
            }
            let accuracy = |loader: &dyn DataLoader<_, _>, name| {
                evaluate(model, loader, name).map_or(f64::NAN, |r| r.accuracy)
            };
            let target_accuracy = accuracy(target_test.as_ref(), "target-test");
            let source_accuracy = accuracy(source_test.as_ref(), "source-test");
            points.push(Point {
                pair: pair_name.name(),
                seed: spec.seed,
                method: candidate.method.name().to_string(),
                epoch,
                target_accuracy,
                source_accuracy,
                scores,
                alarmed: false,
                effective_classes: effective_classes(inputs.target_logits()).ok(),
            });
        },
    )?;
    // The alarms and the last epochs' source accuracies come from the runs.
    let mut ends = Vec::new();
    for trained in &selection.candidates {
        let method = trained.candidate.method.name();
        for point in points.iter_mut().filter(|p| p.method == method) {
            if let Some(scored) = trained.scores.iter().find(|s| s.epoch == point.epoch) {
                point.alarmed = scored.alarmed;
            }
        }
        let last = trained.history.last().expect("trained at least one epoch");
        let end_point = points
            .iter()
            .rev()
            .find(|p| p.method == method)
            .expect("every epoch is scored");
        ends.push(End {
            pair: pair_name.name(),
            seed: spec.seed,
            method: method.to_string(),
            target_accuracy: end_point.target_accuracy,
            source_accuracy: end_point.source_accuracy,
            collapsed: last
                .alarms
                .iter()
                .any(|a| matches!(a, Alarm::ClassCollapse { .. })),
        });
    }
    let chosen = &selection_record.candidates[selection_record.chosen];
    Ok(PairRun {
        points,
        ends,
        chosen_label: selection.best().candidate.label(),
        chosen_epoch: chosen.epoch,
        chosen_target_accuracy: chosen.target_accuracy,
        warnings: selection.warnings.iter().map(ToString::to_string).collect(),
    })
}

/// The points of one pair and seed, of the runs that trained to the end (a run that failed
/// has points up to its failure and no end: the choice leaves it out, as the library's does).
fn points_of<'a>(record: &'a SuiteRecord, pair: &str, seed: u64) -> Vec<&'a Point> {
    let ended = |method: &str| {
        record
            .ends
            .iter()
            .any(|e| e.pair == pair && e.seed == seed && e.method == method)
    };
    record
        .points
        .iter()
        .filter(|p| p.pair == pair && p.seed == seed && ended(&p.method))
        .collect()
}

/// What `validator` picks among `points` (one pair and seed, every run in training order):
/// the library's decision ([`decide`], with its defaults, or `NoTransfer::Choose` unless
/// `keep`, and ranking every run by the validator with `rank_own`) replayed on the recorded
/// scores. An epoch without a score for `validator` counts as scoring minus infinity. The
/// second value says whether the no-transfer rule fired.
fn pick<'a>(
    points: &[&'a Point],
    classes: usize,
    validator: Validator,
    (keep, rank_own): (bool, bool),
) -> Option<(&'a Point, bool)> {
    let mut runs: Vec<(&str, Vec<&Point>)> = Vec::new();
    for &point in points {
        match runs.iter_mut().find(|(method, _)| *method == point.method) {
            Some((_, epochs)) => epochs.push(point),
            None => runs.push((&point.method, vec![point])),
        }
    }
    let ln_k = (classes as f64).ln();
    let scores: Vec<(Method, Vec<EpochScore>)> = runs
        .iter()
        .map(|(method, epochs)| {
            let scores = epochs
                .iter()
                .map(|p| EpochScore {
                    epoch: p.epoch,
                    score: p
                        .scores
                        .get(validator.name())
                        .copied()
                        .unwrap_or(f64::NEG_INFINITY),
                    alarmed: p.alarmed,
                    effective_classes: p.classes_used().unwrap_or(f64::NAN),
                    structure: p.scores.get("im").map_or(0.0, |im| im / ln_k),
                })
                .collect();
            Some((method.parse::<Method>().ok()?, scores))
        })
        .collect::<Option<_>>()?;
    let scored: Vec<ScoredRun<'_>> = scores
        .iter()
        .map(|(method, scores)| ScoredRun {
            method: *method,
            label: method.name().to_string(),
            scores,
        })
        .collect();
    let mut config = SelectConfig::new(validator, 1).with_rank_own_objective(rank_own);
    if !keep {
        config = config.with_no_transfer(NoTransfer::Choose);
    }
    let decision = decide(&scored, &config, classes).ok()?;
    let fired = decision
        .warnings
        .iter()
        .any(|w| matches!(w, SelectWarning::NoTransfer { .. }));
    let chosen = decision.chosen;
    Some((runs[chosen].1[decision.kept[chosen]], fired))
}

/// The seeds present, in order.
fn seed_list(record: &SuiteRecord) -> Vec<u64> {
    record
        .ends
        .iter()
        .map(|e| e.seed)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The suite's tables, as Markdown.
fn tables(record: &SuiteRecord, pairs: &[Pair], validator: Validator, keep: bool) -> String {
    let mut out = String::new();
    let seeds = seed_list(record);
    let mut trained = Vec::new();
    if pairs.iter().any(|p| matches!(p, Pair::Digits(_))) {
        trained.push(format!(
            "digit pairs: {} steps, {}",
            record.steps,
            record.model.to_uppercase()
        ));
    }
    if pairs.iter().any(|p| matches!(p, Pair::Moons(_))) {
        trained.push("moons: the shallow network, 150 epochs".to_string());
    }
    let _ = writeln!(
        out,
        "Target and source test accuracy %, mean ± std over {} seeds; {}. Gain: target \
         accuracy minus source-only's; collapsed: runs whose last epoch raised the class \
         collapse alarm. \"selected\": the label-free choice by {validator} among the methods \
         and their epochs (method@epoch per seed; \"no transfer\": the seeds where \
         source-only's target predictions used fewer than sqrt(K) effective classes, {}).\n",
        seeds.len(),
        trained.join("; "),
        if keep {
            "where an adapted run needs class structure, IM >= 0.8 ln K, to be chosen over \
             source-only's last epoch"
        } else {
            "chosen by the scores anyway"
        }
    );
    let _ = writeln!(
        out,
        "| pair | method | target % | source % | gain | collapsed |\n|---|---|---|---|---|---|"
    );
    let mut methods: Vec<String> = Vec::new();
    for end in &record.ends {
        if !methods.contains(&end.method) {
            methods.push(end.method.clone());
        }
    }
    let row = |values: &[f64]| {
        let (m, s) = mean_std(values);
        format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * s)
    };
    for pair in pairs {
        let ends = |method: &str| -> Vec<&End> {
            record
                .ends
                .iter()
                .filter(|e| e.pair == pair.name() && e.method == method)
                .collect()
        };
        let baseline: Vec<f64> = ends("source_only")
            .iter()
            .map(|e| e.target_accuracy)
            .collect();
        let (baseline_mean, _) = mean_std(&baseline);
        for method in &methods {
            let rows = ends(method);
            if rows.is_empty() {
                continue;
            }
            let target: Vec<f64> = rows.iter().map(|e| e.target_accuracy).collect();
            let source: Vec<f64> = rows.iter().map(|e| e.source_accuracy).collect();
            let collapsed = rows.iter().filter(|e| e.collapsed).count();
            let _ = writeln!(
                out,
                "| {} | {method} | {} | {} | {:+.1} | {collapsed}/{} |",
                pair.name(),
                row(&target),
                row(&source),
                100.0 * (mean_std(&target).0 - baseline_mean),
                rows.len()
            );
        }
        let picked: Vec<(&Point, bool)> = seeds
            .iter()
            .filter_map(|&seed| {
                pick(
                    &points_of(record, &pair.name(), seed),
                    pair.classes(),
                    validator,
                    (keep, false),
                )
            })
            .collect();
        let no_transfer = picked.iter().filter(|(_, fired)| *fired).count();
        let picks: Vec<&Point> = picked.iter().map(|(p, _)| *p).collect();
        if !picks.is_empty() {
            let target: Vec<f64> = picks.iter().map(|p| p.target_accuracy).collect();
            let source: Vec<f64> = picks.iter().map(|p| p.source_accuracy).collect();
            let names: Vec<String> = picks
                .iter()
                .map(|p| format!("{}@{}", p.method, p.epoch))
                .collect();
            // Each pick against its own seed's source-only run at its end.
            let worst = picks
                .iter()
                .filter_map(|p| {
                    let baseline = record.ends.iter().find(|e| {
                        e.pair == pair.name() && e.seed == p.seed && e.method == "source_only"
                    })?;
                    Some(p.target_accuracy - baseline.target_accuracy)
                })
                .fold(f64::INFINITY, f64::min);
            let _ = writeln!(
                out,
                "| {} | **selected** ({}; no transfer {no_transfer}/{}; worst run {:+.1} against \
                 its seed's source-only) | {} | {} | {:+.1} | |",
                pair.name(),
                names.join(", "),
                picks.len(),
                100.0 * worst,
                row(&target),
                row(&source),
                100.0 * (mean_std(&target).0 - baseline_mean),
            );
        }
    }

    let _ = writeln!(
        out,
        "\nValidators over all candidates and epochs of a pair and seed: Spearman rank \
         correlation of the score with the target accuracy, over every run and over the runs \
         but MCC's; regret (points of target accuracy: the best epoch's minus the pick's; the \
         pick skips alarmed epochs and reads the scores alone, without the no-transfer rule) \
         with MCC ranked by every validator, and as the choice makes it (MCC not ranked by a \
         validator its loss optimises: entropy, IM, SND); mean ± std over pairs and seeds; \
         then the mean regret per pair, as the choice makes it.\n"
    );
    let mut header =
        "| validator | Spearman | Spearman without MCC | regret, MCC ranked | regret |".to_string();
    let mut rule = "|---|---|---|---|---|".to_string();
    for pair in pairs {
        header.push_str(&format!(" {} |", pair.name()));
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for v in Validator::ALL {
        let (mut rhos, mut rhos_without) = (Vec::new(), Vec::new());
        let (mut regrets, mut regrets_ranked, mut per_pair) = (Vec::new(), Vec::new(), Vec::new());
        for pair in pairs {
            let mut pair_regrets = Vec::new();
            for &seed in &seeds {
                let points = points_of(record, &pair.name(), seed);
                let correlation = |keep: &dyn Fn(&Point) -> bool| {
                    let scored: Vec<&Point> = points
                        .iter()
                        .copied()
                        .filter(|p| p.scores.contains_key(v.name()) && keep(p))
                        .collect();
                    let scores: Vec<f64> = scored.iter().map(|p| p.scores[v.name()]).collect();
                    let accuracies: Vec<f64> = scored.iter().map(|p| p.target_accuracy).collect();
                    spearman(&scores, &accuracies)
                };
                rhos.extend(correlation(&|_| true));
                rhos_without.extend(correlation(&|p| p.method != Method::Mcc.name()));
                let oracle = points
                    .iter()
                    .map(|p| p.target_accuracy)
                    .fold(f64::NEG_INFINITY, f64::max);
                if let Some((chosen, _)) = pick(&points, pair.classes(), v, (false, false)) {
                    pair_regrets.push(oracle - chosen.target_accuracy);
                }
                if let Some((chosen, _)) = pick(&points, pair.classes(), v, (false, true)) {
                    regrets_ranked.push(oracle - chosen.target_accuracy);
                }
            }
            per_pair.push(format!("{:.1}", 100.0 * mean_std(&pair_regrets).0));
            regrets.extend(pair_regrets);
        }
        let spread = |values: &[f64]| {
            let (m, s) = mean_std(values);
            format!("{m:.2} ± {s:.2}")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            v.name(),
            spread(&rhos),
            spread(&rhos_without),
            row(&regrets_ranked),
            row(&regrets),
            per_pair.join(" | ")
        );
    }
    out
}
