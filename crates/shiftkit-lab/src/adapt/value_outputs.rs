//! What a regression reports: its `summary.json` and `selection.json` with errors instead of
//! accuracies, its table, and its latent picture (coloured by domain only: a regression has
//! no classes to colour by).

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use burn::tensor::backend::Backend;
use plotters::prelude::*;
use serde::Serialize;
use shiftkit::train::RegressionResult;

use super::Failure;
use crate::latent::{Projection, by_domain};
use crate::report;
use crate::selection::FailedRecord;

/// One line of a regression's `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValueRecord {
    /// The method's name.
    pub method: &'static str,
    /// The model's name.
    pub model: &'static str,
    /// The run's seed.
    pub seed: u64,
    /// Mean absolute error on the labelled target test set (only with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_mae: Option<f64>,
    /// Root mean squared error on the target test set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rmse: Option<f64>,
    /// R² on the target test set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_r2: Option<f64>,
    /// Mean absolute error on the held-out source rows.
    pub source_mae: f64,
    /// Root mean squared error on the held-out source rows.
    pub source_rmse: f64,
    /// R² on the held-out source rows.
    pub source_r2: f64,
    /// Seconds of training.
    pub seconds: f64,
    /// Optimiser steps per second (0 when it took none).
    pub steps_per_second: f64,
}

impl ValueRecord {
    /// The errors of a run: `target` only with a labelled target test set.
    pub fn errors(&mut self, target: Option<&RegressionResult>, source: &RegressionResult) {
        self.target_mae = target.map(|t| t.mae);
        self.target_rmse = target.map(|t| t.rmse);
        self.target_r2 = target.map(|t| t.r2);
        (self.source_mae, self.source_rmse, self.source_r2) = (source.mae, source.rmse, source.r2);
    }
}

/// One candidate's line of a regression's `selection.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValueCandidate {
    /// `method param=value ...`.
    pub label: String,
    /// The method and the values of the parameters varied.
    pub params: BTreeMap<String, serde_json::Value>,
    /// The validator's score of the kept epoch (higher is better).
    pub score: f64,
    /// The kept epoch.
    pub epoch: usize,
    /// Whether the choice could take it.
    pub eligible: bool,
    /// The kept model's errors, measured after the choice (target ones only with a labelled
    /// target test set).
    #[serde(flatten)]
    pub errors: ValueRecord,
}

/// A regression's `selection.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValueSelection {
    /// The validator that chose.
    pub validator: String,
    /// The model's name.
    pub model: &'static str,
    /// The seed.
    pub seed: u64,
    /// `regression`.
    pub task: &'static str,
    /// Every candidate, in the order trained (source-only first).
    pub candidates: Vec<ValueCandidate>,
    /// The index of the chosen candidate.
    pub chosen: usize,
    /// The candidates whose training failed, with the error.
    pub failed: Vec<FailedRecord>,
    /// What the choice warns of.
    pub warnings: Vec<String>,
}

/// `x` to `digits` decimals, or `-` when absent.
fn number(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

impl ValueSelection {
    /// The candidates as a table, the chosen one marked.
    pub fn table(&self) -> String {
        let mut out = format!(
            "selection by {} ({} seed {}): errors measured after the choice\n\n{:<44} {:>10} {:>6} {:>11} {:>11}\n",
            self.validator,
            self.model,
            self.seed,
            "candidate",
            "score",
            "epoch",
            "target MAE",
            "source MAE"
        );
        for (i, c) in self.candidates.iter().enumerate() {
            let mark = match (i == self.chosen, c.eligible) {
                (true, _) => "  <- chosen",
                (false, false) => "  (not eligible)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "{:<44} {:>10.4} {:>6} {:>11} {:>11.4}{mark}",
                c.label,
                c.score,
                c.epoch,
                number(c.errors.target_mae, 4),
                c.errors.source_mae,
            );
        }
        for warning in &self.warnings {
            let _ = write!(out, "\nwarning: {warning}\n");
        }
        out
    }
}

/// Writes a regression's `summary.json`: `{"runs": [...], "chosen": METHOD}`, each run's
/// record with `chosen`.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_summary(out: &Path, records: &[ValueRecord], chosen: usize) -> Result<(), Failure> {
    let mut runs = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let mut value = serde_json::to_value(record)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("chosen".to_string(), (i == chosen).into());
        }
        runs.push(value);
    }
    let summary = serde_json::json!({
        "task": "regression",
        "runs": runs,
        "chosen": records[chosen].method,
    });
    report::write_json(&out.join("summary.json"), &summary)
}

/// A regression's results table: one row per run, the chosen one marked, and the spread of
/// the target's predicted values.
pub fn table(records: &[ValueRecord], chosen: usize, predictions: &[f32]) -> String {
    let mut text = format!(
        "{:<12} {:<8} {:>10} {:>11} {:>9} {:>10} {:>11} {:>9} {:>13} {:>9}\n",
        "method",
        "model",
        "target MAE",
        "target RMSE",
        "target R²",
        "source MAE",
        "source RMSE",
        "source R²",
        "train time s",
        "steps/s"
    );
    for (i, r) in records.iter().enumerate() {
        let mark = if records.len() > 1 && i == chosen {
            "  <- chosen"
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "{:<12} {:<8} {:>10} {:>11} {:>9} {:>10.4} {:>11.4} {:>9.3} {:>13.1} {:>9.0}{mark}",
            r.method,
            r.model,
            number(r.target_mae, 4),
            number(r.target_rmse, 4),
            number(r.target_r2, 3),
            r.source_mae,
            r.source_rmse,
            r.source_r2,
            r.seconds,
            r.steps_per_second,
        );
    }
    if records.iter().all(|r| r.target_mae.is_none()) {
        text.push_str("\n(no --target-test: no target errors)\n");
    }
    let n = predictions.len().max(1) as f64;
    let mean = predictions.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (lo, hi) = predictions
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let _ = writeln!(
        text,
        "\ntarget predictions: {} values, mean {mean:.4}, from {lo:.4} to {hi:.4}",
        predictions.len()
    );
    text
}

/// Draws `projection` (see [`project`](crate::latent::project)), coloured by domain, into a PNG at `path` (the
/// classifier's picture has a second panel by predicted class, which a regression has not).
///
/// # Errors
///
/// Drawing failed.
pub fn draw_by_domain<B: Backend>(
    path: &Path,
    title: &str,
    projection: &Projection<B>,
) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(path, (620, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    by_domain(&root, title, projection)?;
    root.present()?;
    Ok(())
}
