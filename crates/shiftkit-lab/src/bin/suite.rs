//! The robustness suite: every method on every digit pair of the suite over seeds, the
//! label-free choice among them, and how well each validator ranks the runs.
//!
//! ```text
//! cargo suite                                          # every pair and method, seeds 0,1,2
//! cargo suite --pairs mnist-textured --seeds 0 --steps 500
//! cargo suite --render out/suite/suite.json --validator dev   # the tables again, another chooser
//! ```
//!
//! For each pair and seed, the candidates are source-only and each `--method` with its default
//! weights (the MLP encoder, [`DannConfig::recommended`]), trained as the `digits` program
//! trains them. Every epoch of every candidate is scored by every validator, and, for the
//! report only, tested on the target's test set. The label-free choice (`--validator`, the
//! epoch chosen too) is the "selected" row. It prints and writes (under `--out`, default
//! `out/suite`):
//!
//! - `suite.md`: per pair, each method's target and source test accuracy (mean over seeds),
//!   its gain over source-only, and how many runs ended collapsed (one class taking over the
//!   target predictions, by the trainer's guard); then, per validator, the Spearman rank
//!   correlation of its score with the target accuracy over all candidates and epochs, and
//!   the regret of its pick (best target accuracy among the runs minus the pick's).
//! - `suite.json`: every scored epoch (scores, accuracies, alarms) and every run's end.

// A command-line program: its results go to stdout, its progress to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use clap::Parser;
use serde::{Deserialize, Serialize};
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::{DigitsPair, FlatDigitBatcher, SuitePair};
use shiftkit::methods::DannConfig;
use shiftkit::nn::MlpEncoderConfig;
use shiftkit::train::evaluate;
use shiftkit::train::select::{SelectConfig, grid};
use shiftkit::train::{Alarm, Method};
use shiftkit::validate::Validator;
use shiftkit_lab::cli::{self, List};
use shiftkit_lab::experiment::Length;
use shiftkit_lab::report::write_json;
use shiftkit_lab::selection::{SelectionSpec, run_selection};
use shiftkit_lab::stats::{mean_std, spearman};

/// Every method on every pair of the robustness suite, and the label-free choice among them.
#[derive(Debug, Parser)]
#[command(name = "suite")]
struct Args {
    /// Suite pairs (mnist-optdigits, optdigits-mnist, mnist-inverted, mnist-textured,
    /// mnist-noisy, mnist-rotated, mnist-thinned) or all, comma-separated
    #[arg(long, value_name = "LIST", default_value = "all")]
    pairs: String,
    /// Methods, comma-separated, or all (source_only is always run) [default: all]
    #[arg(long, value_name = "LIST", value_parser = cli::list::<Method>)]
    method: Option<List<Method>>,
    /// Seeds, comma-separated
    #[arg(long, value_name = "LIST", value_parser = cli::list::<u64>, default_value = "0,1,2")]
    seeds: List<u64>,
    /// Optimiser steps per run, rounded up to whole epochs
    #[arg(long, value_name = "N", default_value = "1000")]
    steps: NonZeroUsize,
    /// Examples per batch, in each domain
    #[arg(long, value_name = "N", default_value = "64")]
    batch_size: NonZeroUsize,
    /// The validator of the label-free choice: entropy, im, snd, iwcv or dev
    #[arg(long, value_name = "NAME", default_value_t = Validator::default())]
    validator: Validator,
    /// Threads of the CPU backend's pool
    #[arg(long, value_name = "N", default_value = "1")]
    threads: NonZeroUsize,
    /// Where suite.md and suite.json go
    #[arg(long, value_name = "DIR", default_value = "out/suite")]
    out: PathBuf,
    /// Train nothing: render the tables of an earlier run's suite.json (with --validator)
    #[arg(long, value_name = "FILE")]
    render: Option<PathBuf>,
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
    points: Vec<Point>,
    ends: Vec<End>,
}

fn main() {
    let started = Instant::now();
    let args = Args::parse();
    let pairs: Vec<SuitePair> = if args.pairs.trim().eq_ignore_ascii_case("all") {
        SuitePair::ALL.to_vec()
    } else {
        args.pairs
            .split(',')
            .map(|name| {
                name.parse()
                    .unwrap_or_else(|e| cli::fail::<Args>(format!("--pairs: {e}")))
            })
            .collect()
    };
    let methods = args
        .method
        .clone()
        .map_or(Method::ALL.to_vec(), |list| list.0);
    cli::size_thread_pool::<Args>(args.threads.get());
    let result = match &args.render {
        Some(path) => render(path, &pairs, args.validator),
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
    pairs: &[SuitePair],
    validator: Validator,
) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let record: SuiteRecord = serde_json::from_str(&text)?;
    let present: Vec<SuitePair> = pairs
        .iter()
        .copied()
        .filter(|p| record.ends.iter().any(|e| e.pair == p.name()))
        .collect();
    print!("{}", tables(&record, &present, validator));
    Ok(())
}

fn run(args: &Args, pairs: &[SuitePair], methods: &[Method]) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let device = Default::default();
    let base = DannConfig::recommended().with_domain_weight(0.0);
    let candidates = grid(methods, &base, &[]);
    let mut record = SuiteRecord {
        steps: args.steps.get(),
        points: Vec::new(),
        ends: Vec::new(),
    };
    for &pair_name in pairs {
        for &seed in &args.seeds.0 {
            let pair = DigitsPair::suite(pair_name, seed)?;
            let test_loader = |data: &shiftkit::data::DigitDataset| {
                DataLoaderBuilder::<CpuInner, _, _>::new(FlatDigitBatcher)
                    .batch_size(512)
                    .build(data.clone())
            };
            let target_test = test_loader(&pair.target_test);
            let source_test = test_loader(&pair.source_test);
            let spec = SelectionSpec {
                model: "mlp",
                seed,
                batch_size: args.batch_size.get(),
                length: Length::Steps(args.steps.get()),
            };
            let mut points: Vec<Point> = Vec::new();
            let pair_started = Instant::now();
            let (selection_record, selection) = run_selection::<Cpu, _, _, _, _, 2>(
                &spec,
                &candidates,
                SelectConfig::new(args.validator, 0).with_choose_epoch(true),
                &pair,
                FlatDigitBatcher,
                |device| MlpEncoderConfig::new().init(device),
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
                        pair: pair_name.name().to_string(),
                        seed,
                        method: candidate.method.name().to_string(),
                        epoch,
                        target_accuracy,
                        source_accuracy,
                        scores,
                        alarmed: false,
                    });
                },
            )?;
            // The alarms and the last epochs' source accuracies come from the runs.
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
                record.ends.push(End {
                    pair: pair_name.name().to_string(),
                    seed,
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
            eprintln!(
                "{:<16} seed {seed}: chose {} (epoch {}): target {:.1}%  ({:.0} s)",
                pair_name.name(),
                selection.best().candidate.label(),
                chosen.epoch,
                100.0 * chosen.target_accuracy,
                pair_started.elapsed().as_secs_f64()
            );
            record.points.extend(points);
            write_json(&args.out.join("suite.json"), &record)?;
        }
    }
    let text = tables(&record, pairs, args.validator);
    print!("\n{text}");
    std::fs::write(args.out.join("suite.md"), &text)?;
    println!("\nresults written to {}/", args.out.display());
    Ok(())
}

/// The points of one pair and seed.
fn points_of<'a>(record: &'a SuiteRecord, pair: &str, seed: u64) -> Vec<&'a Point> {
    record
        .points
        .iter()
        .filter(|p| p.pair == pair && p.seed == seed)
        .collect()
}

/// What `validator` picks among `points` as the library's choice does: the best score among
/// the epochs without alarm; the last source-only epoch when every epoch raised one.
fn pick<'a>(points: &[&'a Point], validator: Validator) -> Option<&'a Point> {
    let name = validator.name();
    points
        .iter()
        .filter(|p| !p.alarmed && p.scores.contains_key(name))
        .max_by(|a, b| a.scores[name].total_cmp(&b.scores[name]))
        .or_else(|| points.iter().rev().find(|p| p.method == "source_only"))
        .copied()
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
fn tables(record: &SuiteRecord, pairs: &[SuitePair], validator: Validator) -> String {
    let mut out = String::new();
    let seeds = seed_list(record);
    let _ = writeln!(
        out,
        "Target and source test accuracy %, mean ± std over {} seeds, {} steps, MLP; gain: \
         target accuracy minus source-only's; collapsed: runs whose last epoch raised the class \
         collapse alarm. \"selected\": the label-free choice by {validator} among the methods \
         and their epochs (method@epoch per seed).\n",
        seeds.len(),
        record.steps
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
        let picks: Vec<&Point> = seeds
            .iter()
            .filter_map(|&seed| pick(&points_of(record, pair.name(), seed), validator))
            .collect();
        if !picks.is_empty() {
            let target: Vec<f64> = picks.iter().map(|p| p.target_accuracy).collect();
            let source: Vec<f64> = picks.iter().map(|p| p.source_accuracy).collect();
            let names: Vec<String> = picks
                .iter()
                .map(|p| format!("{}@{}", p.method, p.epoch))
                .collect();
            let _ = writeln!(
                out,
                "| {} | **selected** ({}) | {} | {} | {:+.1} | |",
                pair.name(),
                names.join(", "),
                row(&target),
                row(&source),
                100.0 * (mean_std(&target).0 - baseline_mean),
            );
        }
    }

    let _ = writeln!(
        out,
        "\nValidators over all candidates and epochs of a pair and seed: Spearman rank \
         correlation of the score with the target accuracy, and regret (points of target \
         accuracy: the best epoch's minus the pick's; the pick skips alarmed epochs), mean ± \
         std over pairs and seeds; then the mean regret per pair.\n"
    );
    let mut header = "| validator | Spearman | regret |".to_string();
    let mut rule = "|---|---|---|".to_string();
    for pair in pairs {
        header.push_str(&format!(" {} |", pair.name()));
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for v in Validator::ALL {
        let (mut rhos, mut regrets, mut per_pair) = (Vec::new(), Vec::new(), Vec::new());
        for pair in pairs {
            let mut pair_regrets = Vec::new();
            for &seed in &seeds {
                let points = points_of(record, pair.name(), seed);
                let scored: Vec<&Point> = points
                    .iter()
                    .copied()
                    .filter(|p| p.scores.contains_key(v.name()))
                    .collect();
                let scores: Vec<f64> = scored.iter().map(|p| p.scores[v.name()]).collect();
                let accuracies: Vec<f64> = scored.iter().map(|p| p.target_accuracy).collect();
                if let Some(rho) = spearman(&scores, &accuracies) {
                    rhos.push(rho);
                }
                let oracle = points
                    .iter()
                    .map(|p| p.target_accuracy)
                    .fold(f64::NEG_INFINITY, f64::max);
                if let Some(chosen) = pick(&points, v) {
                    pair_regrets.push(oracle - chosen.target_accuracy);
                }
            }
            per_pair.push(format!("{:.1}", 100.0 * mean_std(&pair_regrets).0));
            regrets.extend(pair_regrets);
        }
        let (rho, rho_std) = mean_std(&rhos);
        let (regret, regret_std) = mean_std(&regrets);
        let _ = writeln!(
            out,
            "| {} | {rho:.2} ± {rho_std:.2} | {:.1} ± {:.1} | {} |",
            v.name(),
            100.0 * regret,
            100.0 * regret_std,
            per_pair.join(" | ")
        );
    }
    out
}
