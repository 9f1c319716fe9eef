//! Training progress on stderr, as a [`TrainObserver`]: the library prints nothing itself and
//! reports every step and epoch to the observer it is given.
//!
//! On a terminal, an [indicatif] bar with the epoch, the step's losses, alpha and the last
//! epoch's target accuracy. When stderr is not a terminal (a log file, CI), the bar hides
//! itself and about ten plain lines per run are written instead, one at the end of an epoch.

// Progress is what this module is for; it goes to stderr so that stdout keeps the results.
#![allow(clippy::print_stderr)]

use indicatif::{ProgressBar, ProgressStyle};
use shiftkit::train::{EpochRecord, StepReport, TrainObserver};

/// Shows the progress of one run on stderr.
pub struct Progress {
    label: String,
    epochs: usize,
    bar: ProgressBar,
    /// The last epoch's measure for the bar: `tgt_acc 0.812`, or a regression's `src_mae 0.14`.
    measure: Option<String>,
    collapsed_epochs: usize,
    drifted_epochs: usize,
}

impl Progress {
    /// A progress display for a run named `label` of `epochs` epochs of `steps_per_epoch`
    /// steps.
    pub fn new(label: impl Into<String>, epochs: usize, steps_per_epoch: usize) -> Self {
        let label = label.into();
        let bar = ProgressBar::new((epochs * steps_per_epoch) as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix:<26} {bar:16} {pos}/{len} steps {msg}")
                .expect("a valid template")
                .progress_chars("#>."),
        );
        bar.set_prefix(label.clone());
        Self {
            label,
            epochs,
            bar,
            measure: None,
            collapsed_epochs: 0,
            drifted_epochs: 0,
        }
    }

    /// Replaces the bar with a final line for the run.
    pub fn finish(&mut self, summary: &str) {
        self.bar.finish_and_clear();
        let collapsed = match self.collapsed_epochs {
            0 => String::new(),
            n => format!(" (target collapsed in {n} epochs)"),
        };
        let drifted = match self.drifted_epochs {
            0 => String::new(),
            n => format!(" (features drifted in {n} epochs)"),
        };
        eprintln!("{:<26} {summary}{collapsed}{drifted}", self.label);
    }

    /// Prints a line above the bar (or alone, without a terminal).
    fn say(&self, line: String) {
        self.bar.suspend(|| eprintln!("{line}"));
    }
}

impl TrainObserver for Progress {
    fn on_step(&mut self, report: &StepReport) {
        let done = (report.epoch - 1) * report.steps_in_epoch + report.step;
        self.bar.set_position(done as u64);
        // The message is redrawn with the bar; refreshing it every few steps is plenty.
        if report.step % 25 == 1 || report.step == report.steps_in_epoch {
            let measure = self.measure.as_deref().unwrap_or("tgt_acc -");
            self.bar.set_message(format!(
                "epoch {}/{} ce {:.3} dom {:.3} tot {:.3} alpha {:.2} {measure}",
                report.epoch,
                self.epochs,
                report.ce_loss,
                report.loss("domain"),
                report.total_loss,
                report.alpha,
            ));
        }
    }

    fn on_epoch(&mut self, record: &EpochRecord) {
        // A regression has no accuracy: its source error instead.
        let measure = match record.src_mae {
            Some(mae) => format!("src_mae {mae:.3}"),
            None => format!(
                "src_acc {:.3} tgt_acc {:.3}",
                record.src_acc, record.tgt_acc
            ),
        };
        self.measure = Some(match record.src_mae {
            Some(_) => measure.clone(),
            None => format!("tgt_acc {:.3}", record.tgt_acc),
        });
        let every = self.epochs.div_ceil(10).max(1);
        if self.bar.is_hidden()
            && (record.epoch.is_multiple_of(every) || record.epoch == self.epochs)
        {
            self.say(format!(
                "{:<26} epoch {:>3}/{}  ce {:.3} domain {:.3} semantic {:.3} total {:.3} alpha {:.2} disc_acc {:.2} {measure}",
                self.label,
                record.epoch,
                self.epochs,
                record.ce_loss,
                record.loss("domain"),
                record.loss("semantic"),
                record.total_loss,
                record.alpha,
                record.disc_acc,
            ));
        }
    }

    fn on_drift(&mut self, record: &EpochRecord, growth: f64) {
        self.drifted_epochs += 1;
        if self.drifted_epochs == 1 {
            self.say(format!(
                "warning: {}: the features are drifting at epoch {}: mean norm {:.1}, {:.1}x its lowest",
                self.label, record.epoch, record.latent_norm, growth,
            ));
        }
    }

    fn on_collapse(&mut self, record: &EpochRecord) {
        self.collapsed_epochs += 1;
        if self.collapsed_epochs == 1 {
            self.say(format!(
                "warning: {}: the target predictions collapsed at epoch {}: {:.0}% in one class",
                self.label,
                record.epoch,
                100.0 * record.tgt_majority,
            ));
        }
    }
}
