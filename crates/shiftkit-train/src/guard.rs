//! The collapse guard: signs that adaptation is destroying the model, read from each epoch's
//! record, and what the trainer does about them.

use crate::alarm::Alarm;
use crate::config::DannConfig;
use crate::history::EpochRecord;

/// The alarms `record` raises given the epochs before it.
pub fn alarms(record: &EpochRecord, earlier: &[EpochRecord], config: &DannConfig) -> Vec<Alarm> {
    let mut alarms = Vec::new();
    // A model still learning the source in warmup is not judged by its target predictions.
    if !record.warmup && record.collapsed(config.collapse_threshold) {
        alarms.push(Alarm::ClassCollapse {
            share: record.tgt_majority,
        });
    }
    if let Some(growth) = record.latent_growth(earlier)
        && growth > config.drift_threshold
    {
        alarms.push(Alarm::FeatureDrift { growth });
    }
    if let Some(best) = earlier.iter().map(|r| r.src_acc).max_by(f64::total_cmp)
        && best - record.src_acc > config.source_drop_threshold
    {
        alarms.push(Alarm::SourceDrop {
            best,
            now: record.src_acc,
        });
    }
    if !record.warmup && record.disc_acc > 0.0 && record.loss("domain") < config.domain_loss_floor {
        alarms.push(Alarm::DomainLossZero {
            loss: record.loss("domain"),
        });
    }
    alarms
}
