//! What a training job reports: what was read (stderr), the progress of a choice, and the
//! classifier's `summary.json` and table.

// The program's progress and notes go to stderr.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use shiftkit::data::SampleDataset;
use shiftkit::select::Candidate;

use super::predict::Prediction;
use super::prepare::Prepared;
use super::{Failure, ModelKind};
use crate::experiment::Run;
use crate::report;

/// Says on stderr what was read.
pub fn describe(
    data: &Prepared,
    source: &Path,
    target: &Path,
    test: Option<&Path>,
    model: ModelKind,
) {
    let items = |d: &SampleDataset| d.len();
    if data.task.is_regression() {
        eprintln!(
            "source: {} ({} items, real values: a regression)",
            source.display(),
            items(&data.source)
        );
    } else {
        eprintln!(
            "source: {} ({} items, {} classes: {})",
            source.display(),
            items(&data.source),
            data.classes.len(),
            abbreviated(&data.classes)
        );
    }
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
pub fn abbreviated(names: &[String]) -> String {
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

/// A choice's progress: [`selection_bar`], moved on as each candidate is first scored.
pub(super) struct SelectionBar {
    bar: ProgressBar,
    seen: Vec<String>,
}

impl SelectionBar {
    /// A bar over `candidates` candidates.
    pub(super) fn new(candidates: usize) -> Self {
        Self {
            bar: selection_bar(candidates),
            seen: Vec::new(),
        }
    }

    /// `candidate` has been scored after `epoch`.
    pub(super) fn scored(&mut self, candidate: &Candidate, epoch: usize) {
        let label = candidate.label();
        if !self.seen.contains(&label) {
            self.seen.push(label.clone());
            self.bar.set_position(self.seen.len() as u64);
        }
        self.bar
            .set_message(format!("{label}: epoch {epoch} scored"));
    }

    /// Clears the bar.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A bar over the candidates of a choice (the selection trains each without a step
/// observer: the bar moves as each candidate is scored).
pub fn selection_bar(candidates: usize) -> ProgressBar {
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
pub fn write_summary(
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
pub fn table(
    runs: &[Run],
    chosen: usize,
    has_target_test: bool,
    classes: &[String],
    predictions: &[Prediction],
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
