//! Choosing without target labels: train candidates (methods and values of named
//! hyper-parameters, source-only always among them), score each with a label-free validator,
//! and keep the best.
//!
//! Unsupervised domain adaptation has no target labels to pick a method, a weight or an epoch
//! with. [`select`] trains every [`Candidate`] the caller's `build` closure makes a trainer
//! for, scores it at the end of every epoch (or of the last one) with a
//! [`Validator`](shiftkit_validate::Validator) on held-out *source* rows and unlabelled
//! *target* rows, and returns every candidate's best-scored model with the index of the one
//! to keep.
//!
//! What keeps a choice from making the model worse than training on the source alone:
//!
//! - **Source-only is always a candidate.** [`grid`] puts it first; [`select`] refuses a list
//!   without it ([`SelectError::NoSourceOnly`]). If adaptation does not help by the
//!   validator's reading, the choice falls back to it.
//! - **An epoch the collapse guard raised an alarm on is never chosen** (one class taking the
//!   target predictions, the source accuracy falling, runaway features, a discriminator that
//!   wins outright). Its score is still reported.
//! - **Where the source's classes do not reach the target, adaptation must prove itself.**
//!   The source-only model, at its last epoch, is read on the target: when its mean
//!   prediction's entropy is below [`SelectConfig::min_spread`] of its maximum `ln K` (by
//!   default half: fewer than `sqrt(K)` [`effective_classes`](shiftkit_validate::effective_classes), about 3.2 of 10), its features
//!   do not separate the target's classes, and a validator's ranking is weak evidence there
//!   (on inverted digits with the MLP, information maximisation prefers a confident,
//!   balanced and wrong model). An adapted candidate then stays eligible only if its kept
//!   epoch shows class structure of its own: [`information_maximization`](shiftkit_validate::information_maximization) of at least
//!   [`SelectConfig::min_structure`] of `ln K` (0.8: confident predictions spread over the
//!   classes). Otherwise source-only is kept as trained, at its last epoch. Either way
//!   [`Selection::warnings`] says so; [`NoTransfer::Choose`] turns the rule off.
//! - **No target label reaches the validator.** The target rows go through
//!   [`validation_inputs`], which reads the target batches' inputs only.

mod candidate;
mod config;
mod decide;
mod error;
mod param;
mod run;
mod warning;

pub use candidate::{Candidate, grid};
pub use config::{NoTransfer, SelectConfig};
pub use decide::{Decision, EpochScore, ScoredRun, decide, optimises};
pub use error::SelectError;
pub use param::{Param, UnknownParam};
pub use run::{FailedCandidate, Selection, Trained, select, validation_inputs};
pub use warning::SelectWarning;
