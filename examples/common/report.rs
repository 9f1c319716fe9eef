//! What a run leaves behind: the results table on stdout, `summary.json`, each run's history
//! as JSON, and a PNG of its training curves.

#![allow(dead_code)]
// shared by two examples, each of which uses a subset
// The results table is this module's output.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::Path;

use serde::Serialize;

use crate::common::experiment::{Run, RunRecord};
use crate::common::plot::{Canvas, Rect, Series, line_chart};

/// Writes `value` as pretty JSON to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Box<dyn Error>> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Writes `summary.json`: `{"runs": [...]}`, one record per run.
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
pub fn write_run(out: &Path, run: &Run) -> Result<(), Box<dyn Error>> {
    let stem = run.spec.stem();
    write_json(&out.join(format!("history_{stem}.json")), &run.history)?;
    let path = out.join(format!("curves_{stem}.png"));
    curves(run)
        .save(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Three panels side by side: the loss terms, alpha with the discriminator's accuracy, and
/// the source and target accuracies on the training batches, per epoch.
fn curves(run: &Run) -> Canvas {
    let (panel_w, panel_h) = (620.0, 460.0);
    let mut canvas = Canvas::new((3.0 * panel_w) as usize, panel_h as usize);
    let area = |i: f64| Rect::new(i * panel_w, 0.0, panel_w, panel_h);
    let curve = |name, value: fn(&shiftkit::methods::EpochRecord) -> f64| Series {
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
        &mut canvas,
        area(0.0),
        &title("losses"),
        ("epoch", "mean loss"),
        &[
            curve("ce", |r| r.ce_loss),
            curve("domain", |r| r.domain_loss),
            curve("semantic", |r| r.semantic_loss),
            curve("total", |r| r.total_loss),
        ],
        None,
    );
    line_chart(
        &mut canvas,
        area(1.0),
        &title("adversary"),
        ("epoch", "value"),
        &[
            curve("alpha", |r| r.alpha),
            curve("disc acc", |r| r.disc_acc),
            curve("tgt majority", |r| r.tgt_majority),
        ],
        Some((0.0, 1.0)),
    );
    line_chart(
        &mut canvas,
        area(2.0),
        &title("accuracy"),
        ("epoch", "training-batch accuracy"),
        &[
            curve("source", |r| r.src_acc),
            curve("target", |r| r.tgt_acc),
        ],
        Some((0.0, 1.0)),
    );
    canvas
}

/// Prints one row per method and model: target and source test accuracy (%), training time
/// and speed; with several seeds, mean ± sample standard deviation over them.
pub fn print_table(runs: &[Run]) {
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
    println!(
        "\n{:<12} {:<8} {:>5}  {:>14}  {:>14}  {:>14}  {:>10}",
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
        println!(
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
}

/// Mean and sample standard deviation (0 for fewer than two values).
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n.max(1.0);
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}
