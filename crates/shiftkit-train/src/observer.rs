use crate::{Alarm, EpochRecord};

/// What one optimiser step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// The epoch, 1-based.
    pub epoch: usize,
    /// The step within the epoch, 1-based (in [`fit`](crate::DannTrainer::fit); from
    /// [`train_step`](crate::DannTrainer::train_step), which knows no epochs, the run's step).
    pub step: usize,
    /// The steps the epoch will take.
    pub steps_in_epoch: usize,
    /// Source cross-entropy.
    pub ce_loss: f64,
    /// Every adaptation term's unweighted loss by name, in the order the terms run (empty
    /// during warmup).
    pub term_losses: Vec<(String, f64)>,
    /// The weighted total that was minimised.
    pub total_loss: f64,
    /// The reversal strength used.
    pub alpha: f64,
    /// The learning rate used.
    pub lr: f64,
}

impl StepReport {
    /// The unweighted loss of the term named `name` (0 for a term the run does not have, and
    /// during warmup).
    pub fn loss(&self, name: &str) -> f64 {
        self.term_losses
            .iter()
            .find(|(term, _)| term == name)
            .map_or(0.0, |(_, value)| *value)
    }
}

/// Something that hears about training as it happens: a progress bar, a logger, a metrics
/// sink. The library prints nothing itself; everything it has to say goes through here.
///
/// Every method has an empty default, so an observer implements only what it needs.
pub trait TrainObserver {
    /// Called after every optimiser step.
    fn on_step(&mut self, report: &StepReport) {
        let _ = report;
    }

    /// Called at the end of every epoch, with the record that goes into the history.
    fn on_epoch(&mut self, record: &EpochRecord) {
        let _ = record;
    }

    /// Called when an epoch's target predictions collapse onto one class (see
    /// [`DannConfig::collapse_threshold`](crate::DannConfig::collapse_threshold)).
    fn on_collapse(&mut self, record: &EpochRecord) {
        let _ = record;
    }

    /// Called when an epoch's mean feature norm has grown more than
    /// [`DannConfig::drift_threshold`](crate::DannConfig::drift_threshold) times over the
    /// smallest of the earlier epochs; `growth` is that ratio.
    fn on_drift(&mut self, record: &EpochRecord, growth: f64) {
        let _ = (record, growth);
    }

    /// Called for every alarm the collapse guard raises at the end of an epoch (after
    /// [`on_collapse`](Self::on_collapse) or [`on_drift`](Self::on_drift) for those two).
    fn on_alarm(&mut self, record: &EpochRecord, alarm: &Alarm) {
        let _ = (record, alarm);
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl TrainObserver for Silent {}

impl<F: FnMut(&EpochRecord)> TrainObserver for F {
    fn on_epoch(&mut self, record: &EpochRecord) {
        self(record)
    }
}
