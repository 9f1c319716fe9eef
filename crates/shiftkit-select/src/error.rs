//! What goes wrong in a selection.

use shiftkit_train::TrainError;
use shiftkit_validate::ValidateError;

use crate::param::{Param, UnknownParam};

/// What can go wrong in a selection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// The candidate list has no source-only candidate: without it the choice cannot fall back
    /// to training on the source alone.
    #[error("the candidates must include source_only (the fallback when adaptation does not help)")]
    NoSourceOnly,
    /// No candidate to train.
    #[error("no candidate to select from")]
    NoCandidate,
    /// Zero epochs per candidate.
    #[error("a selection needs at least one epoch per candidate")]
    NoEpoch,
    /// A [`SelectConfig::min_spread`](crate::SelectConfig::min_spread) or [`SelectConfig::min_structure`](crate::SelectConfig::min_structure) outside `[0, 1]` (or
    /// NaN).
    #[error("min_spread and min_structure must be in [0, 1], got {0}")]
    Share(f64),
    /// A name that is not a [`Param`].
    #[error(transparent)]
    UnknownParam(#[from] UnknownParam),
    /// A value of a [`grid`](crate::grid)'s parameter that is not finite and above 0.
    #[error("{param} = {value}: the values of a grid are finite and above 0")]
    BadValue {
        /// The parameter.
        param: Param,
        /// The value.
        value: f64,
    },
    /// Training a candidate failed.
    #[error("candidate `{candidate}`: {source}")]
    Train {
        /// The candidate's label.
        candidate: String,
        /// What failed.
        source: TrainError,
    },
    /// Scoring a candidate failed.
    #[error("candidate `{candidate}`, epoch {epoch}: {source}")]
    Validate {
        /// The candidate's label.
        candidate: String,
        /// The epoch scored.
        epoch: usize,
        /// What failed.
        source: ValidateError,
    },
}
