//! What a run leaves behind: the results table, `summary.json`, each run's history as JSON,
//! and a PNG of its training curves.

use std::collections::BTreeSet;
use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;
use shiftkit::train::{EpochRecord, SHIFTKIT_TERMS};

use crate::experiment::{Run, RunRecord};
use crate::plot::{Series, line_chart};
use crate::stats::mean_std;

/// Writes `value` as pretty JSON to `path`: into a hidden file beside it first, renamed over
/// `path` once written, so that a program killed while writing leaves the previous file whole
/// (`summary.json` is written again after every run).
///
/// # Errors
///
/// Serialisation or writing failed.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Box<dyn Error>> {
    let text = serde_json::to_string_pretty(value)?;
    let name = path.file_name().map_or_else(
        || "output".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let partial = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, text + "\n")
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Prints the runs' table and says where the results are: under `out`, where [`keep`] wrote
/// each run's files and the summary as the run ended.
// The programs' results go to stdout.
#[allow(clippy::print_stdout)]
pub fn finish(out: &Path, runs: &[Run]) {
    print!("\n{}", table(runs));
    println!("\nresults written to {}/", out.display());
}

/// Keeps a run that has just ended: writes its history and curves, adds it to `runs`, and
/// writes `summary.json` again with every run so far, so that a program stopped by a later
/// run's failure (or killed) leaves the summary of the runs it finished.
///
/// # Errors
///
/// Writing or drawing failed.
pub fn keep(out: &Path, runs: &mut Vec<Run>, run: Run) -> Result<(), Box<dyn Error>> {
    write_run(out, &run)?;
    runs.push(run);
    write_summary(out, runs)
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

/// A number of an epoch's record.
type Field = fn(&EpochRecord) -> f64;

/// One curve: `value` of every epoch of `history`.
fn curve<'a>(history: &[EpochRecord], name: &'a str, value: Field) -> Series<'a> {
    Series {
        name,
        points: history.iter().map(|r| (r.epoch as f64, value(r))).collect(),
    }
}

/// The losses panel's curves: the cross-entropy, each term the run has, and the total.
/// ShiftKit's three terms are in every record, so one whose loss is 0 in every epoch is one
/// the method does not use; another term is drawn where it was recorded.
fn losses(history: &[EpochRecord]) -> Vec<Series<'_>> {
    let mut series = vec![curve(history, "ce", |r| r.ce_loss)];
    let others: BTreeSet<&str> = history
        .iter()
        .flat_map(|r| r.losses.keys().map(String::as_str))
        .filter(|name| !SHIFTKIT_TERMS.contains(name))
        .collect();
    for name in SHIFTKIT_TERMS.into_iter().chain(others) {
        let points: Vec<(f64, f64)> = history
            .iter()
            .filter_map(|r| Some((r.epoch as f64, *r.losses.get(name)?)))
            .collect();
        let shiftkit = SHIFTKIT_TERMS.contains(&name);
        if !shiftkit || points.iter().any(|&(_, loss)| loss != 0.0) {
            series.push(Series { name, points });
        }
    }
    series.push(curve(history, "total", |r| r.total_loss));
    series
}

/// Three panels side by side: the loss terms, alpha with the discriminator's accuracy, and
/// the source and target accuracies on the training batches, per epoch.
fn curves(path: &Path, run: &Run) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(path, (1860, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let run_curve = |name, value| curve(&run.history, name, value);
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
        &losses(&run.history),
        None,
    )?;
    line_chart(
        &panels[1],
        &title("adversary"),
        ("epoch", "value"),
        &[
            run_curve("alpha", |r| r.alpha),
            run_curve("disc acc", |r| r.disc_acc),
            run_curve("tgt majority", |r| r.tgt_majority),
        ],
        Some((0.0, 1.0)),
    )?;
    line_chart(
        &panels[2],
        &title("accuracy"),
        ("epoch", "training-batch accuracy"),
        &[
            run_curve("source", |r| r.src_acc),
            run_curve("target", |r| r.tgt_acc),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, mmd: f64, others: &[(&str, f64)]) -> EpochRecord {
        let others: serde_json::Map<String, serde_json::Value> = others
            .iter()
            .map(|&(name, value)| (name.to_string(), value.into()))
            .collect();
        serde_json::from_value(serde_json::json!({
            "epoch": epoch, "ce_loss": 1.0, "domain_loss": 0.0, "semantic_loss": 0.0,
            "mmd_loss": mmd, "total_loss": 1.5, "src_acc": 0.9, "tgt_acc": 0.5, "alpha": 0.0,
            "lr": 0.001, "disc_acc": 0.0, "tgt_majority": 0.2, "latent_norm": 3.0,
            "warmup": false, "steps": 10, "seconds": 0.1, "other_losses": others,
        }))
        .unwrap()
    }

    fn names(history: &[EpochRecord]) -> Vec<&str> {
        losses(history).iter().map(|s| s.name).collect()
    }

    #[test]
    fn the_losses_panel_draws_the_terms_the_run_has() {
        // MMD from its field, even when 0 in one epoch; no adversarial or centroid curve.
        let mmd = [epoch(1, 0.0, &[]), epoch(2, 0.4, &[])];
        assert_eq!(names(&mmd), ["ce", "mmd", "total"]);
        // CORAL and a user's term from `other_losses`, drawn where they were recorded.
        let others = [
            epoch(1, 0.0, &[("coral", 0.2)]),
            epoch(2, 0.0, &[("coral", 0.1), ("entropy", 0.7)]),
        ];
        assert_eq!(names(&others), ["ce", "coral", "entropy", "total"]);
        let entropy = &losses(&others)[2];
        assert_eq!(entropy.points, [(2.0, 0.7)]);
    }
}
