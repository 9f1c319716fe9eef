//! What is doubtful about a selection, for the caller to report.

use std::fmt;

use serde::{Deserialize, Serialize};
use shiftkit_validate::Validator;

/// Something doubtful about a selection, for the caller to report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SelectWarning {
    /// The source-only model's target predictions use few of the classes: the encoder's
    /// source features do not separate the target's classes, and a validator's ranking of the
    /// adapted candidates is weak evidence. Try another encoder (one suited to what differs
    /// between the domains).
    NoTransfer {
        /// The effective number of classes of the source-only model's target predictions.
        effective_classes: f64,
        /// The number of classes.
        classes: usize,
        /// Whether source-only was kept because no adapted candidate showed enough class
        /// structure ([`NoTransfer::RequireStructure`](crate::NoTransfer::RequireStructure)).
        kept_source_only: bool,
    },
    /// Candidates that raised a collapse alarm on every epoch scored (the last epoch alone
    /// unless [`SelectConfig::choose_epoch`](crate::SelectConfig::choose_epoch)): none of them
    /// could be chosen.
    Collapsed {
        /// Their labels.
        candidates: Vec<String>,
    },
    /// Candidates whose own loss optimises the validator's quantity ([`optimises`](crate::optimises)): they
    /// were trained and scored, but not ranked, since their score rewards meeting their own
    /// objective. A validator that reads the held-out source loss (IWCV, DEV) ranks them.
    Unranked {
        /// Their labels.
        candidates: Vec<String>,
        /// The validator.
        validator: Validator,
    },
    /// Candidates whose importance-weighted risk (IWCV, DEV) came out below 0: a weighted
    /// mean of non-negative losses cannot be, so the density ratios were unstable and the
    /// score says nothing of the target. They were not chosen.
    Unreliable {
        /// Their labels.
        candidates: Vec<String>,
        /// The validator.
        validator: Validator,
    },
    /// An adapted candidate whose training failed (a non-finite loss, or the collapse guard
    /// stopping it): it is left out of [`Selection::candidates`](crate::Selection::candidates), and the choice is made among
    /// the others.
    Failed {
        /// Its label.
        candidate: String,
        /// The error.
        error: String,
    },
}

impl fmt::Display for SelectWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectWarning::NoTransfer {
                effective_classes,
                classes,
                kept_source_only,
            } => {
                write!(
                    f,
                    "the source-only model's target predictions use {effective_classes:.1} of \
                     {classes} classes: the encoder's features do not carry the source's classes \
                     to the target; "
                )?;
                if *kept_source_only {
                    write!(
                        f,
                        "no adapted candidate showed enough class structure of its own, so \
                         source-only was kept; try an encoder suited to this shift"
                    )
                } else {
                    write!(
                        f,
                        "an adapted candidate was chosen: check it on a few labelled target \
                         examples"
                    )
                }
            }
            SelectWarning::Unreliable {
                candidates,
                validator,
            } => write!(
                f,
                "{} not ranked: {validator}'s estimate of {} risk is below 0, which a mean of \
                 losses cannot be (the density ratios were unstable)",
                candidates.join(", "),
                if candidates.len() == 1 {
                    "its"
                } else {
                    "their"
                }
            ),
            SelectWarning::Collapsed { candidates } => write!(
                f,
                "{} raised a collapse alarm on every epoch scored, so {} not chosen",
                candidates.join(", "),
                if candidates.len() == 1 {
                    "it was"
                } else {
                    "they were"
                }
            ),
            SelectWarning::Unranked {
                candidates,
                validator,
            } => write!(
                f,
                "{} not ranked: {} optimise{} what {validator} measures (confident, balanced \
                 target predictions), so a high score would not mean the classes carried over; \
                 choose with iwcv or dev to rank {}",
                candidates.join(", "),
                if candidates.len() == 1 {
                    "its loss"
                } else {
                    "their losses"
                },
                if candidates.len() == 1 { "s" } else { "" },
                if candidates.len() == 1 { "it" } else { "them" },
            ),
            SelectWarning::Failed { candidate, error } => {
                write!(f, "{candidate} failed and was left out: {error}")
            }
        }
    }
}
