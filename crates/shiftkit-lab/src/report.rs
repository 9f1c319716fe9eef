//! What a run leaves behind: the results table, `summary.json`, each run's history as JSON,
//! and a PNG of its training curves.

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;
use shiftkit::train::EpochRecord;

use crate::experiment::{Run, RunRecord};
use crate::plot::{Series, line_chart};
use crate::stats::mean_std;

/// Writes `value` as pretty JSON to `path`.
///
/// # Errors
///
/// Serialisation or writing failed.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Box<dyn Error>> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Prints the runs' table, writes `summary.json` under `out`, and says where the results are.
///
/// # Errors
///
/// The summary cannot be written.
// The programs' results go to stdout.
#[allow(clippy::print_stdout)]
pub fn finish(out: &Path, runs: &[Run]) -> Result<(), Box<dyn Error>> {
    print!("\n{}", table(runs));
    write_summary(out, runs)?;
    println!("\nresults written to {}/", out.display());
    Ok(())
}

/// Writes `summary.json`: `{"runs": [...]}`, one record per run.
///
/// # Errors
///
/// Writing failed.
pub fn write_summary(out: &Path, runs: &[Run]) -> Result<(), Box<dyn Error>> {
    #[derive(Serialize)]
    struct Summary<'a> {
        runs: Vec<&'a RunRecord>,
    }
    let runs = runs.iter().map(|run| &run.record).collect();
    write_json(&out.join("summary.json"), &Summary { runs })
}

/// Writes a run's history (`history_<method>_<model>_seed<N>.json`, the `Vec<EpochRecord>`)
/// and its training curves (`curves_<method>_<model>_seed<N>.png`).
///
/// # Errors
///
/// Writing or drawing failed.
pub fn write_run(out: &Path, run: &Run) -> Result<(), Box<dyn Error>> {
    let stem = run.spec.stem();
    write_json(&out.join(format!("history_{stem}.json")), &run.history)?;
    let path = out.join(format!("curves_{stem}.png"));
    curves(&path, run).map_err(|e| format!("cannot draw {}: {e}", path.display()))?;
    Ok(())
}

/// Three panels side by side: the loss terms, alpha with the discriminator's accuracy, and
/// the source and target accuracies on the training batches, per epoch.
fn curves(path: &Path, run: &Run) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(path, (1860, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let curve = |name, value: fn(&EpochRecord) -> f64| Series {
        name,
        points: run
            .history
            .iter()
            .map(|r| (r.epoch as f64, value(r)))
            .collect(),
    };
    let spec = &run.spec;
    let title = |what: &str| {
        format!(
            "{} {} seed {}: {what}",
            spec.method.title(),
            spec.model,
            spec.seed
        )
    };
    line_chart(
        &panels[0],
        &title("losses"),
        ("epoch", "mean loss"),
        &[
            curve("ce", |r| r.ce_loss),
            curve("domain", |r| r.domain_loss),
            curve("semantic", |r| r.semantic_loss),
            curve("total", |r| r.total_loss),
        ],
        None,
    )?;
    line_chart(
        &panels[1],
        &title("adversary"),
        ("epoch", "value"),
        &[
            curve("alpha", |r| r.alpha),
            curve("disc acc", |r| r.disc_acc),
            curve("tgt majority", |r| r.tgt_majority),
        ],
        Some((0.0, 1.0)),
    )?;
    line_chart(
        &panels[2],
        &title("accuracy"),
        ("epoch", "training-batch accuracy"),
        &[
            curve("source", |r| r.src_acc),
            curve("target", |r| r.tgt_acc),
        ],
        Some((0.0, 1.0)),
    )?;
    root.present()?;
    Ok(())
}

/// The results table: one row per method and model, with target and source test accuracy
/// (%), training time and speed; with several seeds, mean ± sample standard deviation.
pub fn table(runs: &[Run]) -> String {
    let mut groups: Vec<(&str, &str, Vec<&RunRecord>)> = Vec::new();
    for run in runs {
        let r = &run.record;
        match groups
            .iter_mut()
            .find(|(m, model, _)| *m == r.method && *model == r.model)
        {
            Some((_, _, members)) => members.push(r),
            None => groups.push((r.method, r.model, vec![r])),
        }
    }
    let mut text = format!(
        "{:<12} {:<8} {:>5}  {:>14}  {:>14}  {:>14}  {:>10}\n",
        "method", "model", "seeds", "target acc %", "source acc %", "train time s", "steps/s"
    );
    for (method, model, members) in &groups {
        let column = |value: fn(&RunRecord) -> f64, scale: f64, decimals: usize| {
            let values: Vec<f64> = members.iter().map(|r| value(r) * scale).collect();
            let (mean, std) = mean_std(&values);
            if values.len() > 1 {
                format!("{mean:.decimals$} ± {std:.decimals$}")
            } else {
                format!("{mean:.decimals$}")
            }
        };
        let _ = writeln!(
            text,
            "{:<12} {:<8} {:>5}  {:>14}  {:>14}  {:>14}  {:>10}",
            method,
            model,
            members.len(),
            column(|r| r.target_accuracy, 100.0, 1),
            column(|r| r.source_accuracy, 100.0, 1),
            column(|r| r.seconds, 1.0, 1),
            column(|r| r.steps_per_second, 1.0, 0),
        );
    }
    text
}
