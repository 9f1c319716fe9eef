//! The DANN training loop: adversarial domain adaptation with an optional MSTN term.
//!
//! [`DannTrainer`] is shiftkit's `DANNTrainer`: it takes a model implementing
//! [`shiftkit_nn::Encoder`], a labelled source loader and an unlabelled (for training) target
//! loader, and a [`DannConfig`] carrying every parameter of ShiftKit's API with its default.
//! [`DannTrainer::fit`] returns a history with ShiftKit's keys; [`DannTrainer::evaluate`]
//! measures accuracy in evaluation mode.
//!
//! What differs from the Python ShiftKit, and why:
//! - alpha ramps per step, from 0, over the adaptation phase (the paper's schedule); ShiftKit's
//!   per-epoch schedule, which applies alpha 0.46 from the first epoch, is an option;
//! - the shorter loader is cycled, so a small target set does not cut an epoch short; ShiftKit's
//!   stop-at-the-shorter pairing is an option;
//! - target accuracy is tracked in evaluation mode: ShiftKit runs the target through the model
//!   in training mode, which updates batch-norm statistics with target data;
//! - MSTN target centroids start from their first batch mean, not from zero;
//! - bad input is a typed [`TrainError`] before training starts, and a non-finite loss stops
//!   training with an error instead of silently spreading NaN.
//!
//! Several devices: with the feature `collective`, trainers on several threads, and in several
//! processes or on several machines, join one data-parallel run on Burn's collective engine
//! ([`peers`](shiftkit_peers)).
//!
//! Names, as in the papers: alpha is the reversal strength, gamma the steepness of its ramp
//! (10), p the training progress in [0, 1].

mod alarm;
mod check;
pub mod checkpoint;
mod config;
mod config_json;
mod error;
mod evaluate;
mod guard;
mod history;
mod method;
mod metrics;
mod model;
mod observer;
mod plan;
pub mod reads;
mod schedule;
mod seed;
mod task;
pub mod terms;
mod trainer;

pub use alarm::{Alarm, CollapsePolicy};
pub use checkpoint::{CheckpointError, Checkpoints};
pub use config::DannConfig;
pub use error::TrainError;
pub use evaluate::{EvalResult, RegressionResult, evaluate, evaluate_values};
pub use guard::alarms;
pub use history::{EpochRecord, SHIFTKIT_TERMS};
pub use method::{Method, UnknownMethod};
pub use model::{DannModel, TrainableEncoder};
pub use observer::{Silent, StepReport, TrainObserver};
pub use plan::BatchShapes;
pub use reads::{DeviceReads, READ_EVERY};
pub use schedule::{
    GAMMA, LrSchedule, Pairing, ScheduleGranularity, scheduled_alpha, scheduled_lr,
};
pub use task::{RegressionLoss, Task};
pub use trainer::{DannTrainer, DomainLoader};
