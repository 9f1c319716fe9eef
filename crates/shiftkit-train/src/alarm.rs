//! What the collapse guard reports, and what the trainer does about it.

use serde::{Deserialize, Serialize};

/// What the trainer does when an epoch raises an [`Alarm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CollapsePolicy {
    /// Record the alarms in the epoch's record ([`EpochRecord::alarms`](crate::EpochRecord::alarms)), tell the observer,
    /// and go on training.
    #[default]
    Report,
    /// Stop after the epoch: `fit` returns [`TrainError::Collapsed`](crate::TrainError) and the
    /// model stays as that epoch left it.
    Stop,
    /// Stop after the epoch and put back the model (encoder and discriminator) of the
    /// alarm-free epoch with the best source training accuracy; `fit` returns
    /// [`TrainError::Collapsed`](crate::TrainError) naming that epoch. With no alarm-free epoch
    /// yet, the model is left as it is.
    RestoreBest,
}

/// A sign of collapse in an epoch, from numbers the trainer reads anyway (no target labels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Alarm {
    /// More than `collapse_threshold` of the target predictions fall in one class (judged
    /// after warmup).
    ClassCollapse {
        /// The share of the most predicted class.
        share: f64,
    },
    /// The mean feature norm grew more than `drift_threshold` times over the smallest of the
    /// earlier epochs: the runaway that precedes a collapse.
    FeatureDrift {
        /// The growth factor.
        growth: f64,
    },
    /// The source training accuracy fell more than `source_drop_threshold` below its best
    /// epoch: adaptation is destroying what the classifier learnt.
    SourceDrop {
        /// The best earlier source accuracy.
        best: f64,
        /// This epoch's.
        now: f64,
    },
    /// An adversarial epoch's domain loss is below `domain_loss_floor`: the discriminator
    /// tells the domains apart perfectly, so the features are not being aligned.
    DomainLossZero {
        /// The epoch's mean domain loss.
        loss: f64,
    },
}
