//! A terminal progress bar for a training run, written as a [`TrainObserver`]: the library
//! prints nothing itself and reports every step and epoch to the observer it is given.
//!
//! On a terminal, one line is redrawn in place (`\r`) with the epoch, a bar, the step's
//! losses, alpha and the last epoch's target accuracy. When stderr is not a terminal (a log
//! file, CI), about ten plain lines per run are written instead, one at the end of an epoch.

// Progress is what this module is for; it goes to stderr so that stdout keeps the results.
#![allow(clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use shiftkit::train::{EpochRecord, StepReport, TrainObserver};

/// Width of the bar, in characters.
const BAR: usize = 16;
/// The shortest time between two redraws of the bar.
const REDRAW: Duration = Duration::from_millis(100);

/// Shows the progress of one run on stderr.
pub struct Progress {
    label: String,
    epochs: usize,
    terminal: bool,
    last_draw: Option<Instant>,
    tgt_acc: Option<f64>,
    collapsed_epochs: usize,
    drifted_epochs: usize,
}

impl Progress {
    /// A progress display for a run named `label` of `epochs` epochs.
    pub fn new(label: impl Into<String>, epochs: usize) -> Self {
        Self {
            label: label.into(),
            epochs,
            terminal: std::io::stderr().is_terminal(),
            last_draw: None,
            tgt_acc: None,
            collapsed_epochs: 0,
            drifted_epochs: 0,
        }
    }

    /// Replaces the bar with a final line for the run.
    pub fn finish(&mut self, summary: &str) {
        self.clear();
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

    /// Erases the bar's line, on a terminal.
    fn clear(&self) {
        if self.terminal && self.last_draw.is_some() {
            eprint!("\r\x1b[2K");
        }
    }

    fn draw(&mut self, report: &StepReport) {
        let done = (report.epoch - 1) * report.steps_in_epoch + report.step;
        let total = (self.epochs * report.steps_in_epoch).max(1);
        let filled = (done * BAR / total).min(BAR);
        let tgt = self
            .tgt_acc
            .map_or_else(|| "  -  ".to_string(), |a| format!("{a:.3}"));
        eprint!(
            "\r\x1b[2K{}  epoch {:>3}/{} [{}{}] ce {:.3} dom {:.3} tot {:.3} alpha {:.2} tgt_acc {tgt}",
            self.label,
            report.epoch,
            self.epochs,
            "#".repeat(filled),
            ".".repeat(BAR - filled),
            report.ce_loss,
            report.domain_loss,
            report.total_loss,
            report.alpha,
        );
        let _ = std::io::stderr().flush();
        self.last_draw = Some(Instant::now());
    }
}

impl TrainObserver for Progress {
    fn on_step(&mut self, report: &StepReport) {
        let due = self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW);
        if self.terminal && (due || report.step == report.steps_in_epoch) {
            self.draw(report);
        }
    }

    fn on_epoch(&mut self, record: &EpochRecord) {
        self.tgt_acc = Some(record.tgt_acc);
        let every = self.epochs.div_ceil(10).max(1);
        if !self.terminal && (record.epoch.is_multiple_of(every) || record.epoch == self.epochs) {
            eprintln!(
                "{:<26} epoch {:>3}/{}  ce {:.3} domain {:.3} semantic {:.3} total {:.3} alpha {:.2} disc_acc {:.2} src_acc {:.3} tgt_acc {:.3}",
                self.label,
                record.epoch,
                self.epochs,
                record.ce_loss,
                record.domain_loss,
                record.semantic_loss,
                record.total_loss,
                record.alpha,
                record.disc_acc,
                record.src_acc,
                record.tgt_acc,
            );
        }
    }

    fn on_drift(&mut self, record: &EpochRecord, growth: f64) {
        self.drifted_epochs += 1;
        if self.drifted_epochs == 1 {
            self.clear();
            eprintln!(
                "warning: {}: the features are drifting at epoch {}: mean norm {:.1}, {:.1}x its lowest",
                self.label, record.epoch, record.latent_norm, growth,
            );
        }
    }

    fn on_collapse(&mut self, record: &EpochRecord) {
        self.collapsed_epochs += 1;
        if self.collapsed_epochs == 1 {
            self.clear();
            eprintln!(
                "warning: {}: the target predictions collapsed at epoch {}: {:.0}% in one class",
                self.label,
                record.epoch,
                100.0 * record.tgt_majority,
            );
        }
    }
}
