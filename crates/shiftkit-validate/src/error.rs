use thiserror::Error;

/// What can go wrong when scoring a model without target labels.
///
/// Each variant names the input at fault (`"target logits"`, `"source labels"`, ...) and
/// carries the offending value, so a caller can report it or match on it.
#[derive(Clone, Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum ValidateError {
    /// An input with no row (or no column).
    #[error("{what} is empty")]
    Empty {
        /// The input.
        what: &'static str,
    },

    /// Two inputs that must have as many rows disagree.
    #[error("{what} has {found} rows, expected {expected}")]
    RowMismatch {
        /// The input.
        what: &'static str,
        /// The rows it must have.
        expected: usize,
        /// The rows it has.
        found: usize,
    },

    /// Two inputs that must have as many columns (features, classes) disagree.
    #[error("{what} has {found} columns, expected {expected}")]
    ColumnMismatch {
        /// The input.
        what: &'static str,
        /// The columns it must have.
        expected: usize,
        /// The columns it has.
        found: usize,
    },

    /// An input holds a NaN or an infinity.
    #[error("{what} holds a non-finite value ({value}) at row {row}")]
    NonFinite {
        /// The input.
        what: &'static str,
        /// The row (from 0).
        row: usize,
        /// The value found.
        value: f64,
    },

    /// A class label outside `0..classes`.
    #[error("{what}: label {label} of row {row} is outside 0..{classes}")]
    LabelOutOfRange {
        /// The input.
        what: &'static str,
        /// The row (from 0).
        row: usize,
        /// The label found.
        label: i64,
        /// The number of classes (columns of the logits).
        classes: usize,
    },

    /// Too few rows for a computation that splits or pairs them.
    #[error("{what} needs at least {needed} rows, got {found}")]
    TooFewRows {
        /// The input.
        what: &'static str,
        /// The least number of rows.
        needed: usize,
        /// The rows given.
        found: usize,
    },

    /// Too few columns (PCA to two dimensions needs two features).
    #[error("{what} needs at least {needed} columns, got {found}")]
    TooFewColumns {
        /// The input.
        what: &'static str,
        /// The least number of columns.
        needed: usize,
        /// The columns given.
        found: usize,
    },

    /// A softmax temperature that is not finite and positive.
    #[error("the temperature must be finite and > 0, got {0}")]
    InvalidTemperature(f64),

    /// A weight-decay coefficient that is negative or not finite.
    #[error("the L2 coefficient must be finite and >= 0, got {0}")]
    InvalidL2(f64),

    /// A domain classifier asked to train for no iteration.
    #[error("the domain classifier needs at least one iteration")]
    NoIterations,

    /// A validator of class predictions asked to score a regression (only IWCV and DEV read
    /// the source's errors, which a regression has).
    #[error(
        "the {validator} validator scores class predictions; a regression is scored by iwcv or dev"
    )]
    NeedsClasses {
        /// The validator's name.
        validator: &'static str,
    },

    /// A name that is not a validator's.
    #[error("unknown validator {0:?} (expected one of entropy, im, snd, iwcv, dev)")]
    UnknownValidator(String),
}
