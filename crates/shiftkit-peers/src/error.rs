//! What goes wrong between peers.

/// A failure of a data-parallel run's set-up or of one of its collective operations.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PeerError {
    /// A count or a rank out of range.
    #[error("`{name}` = {value} is invalid: {expected}")]
    Setting {
        /// What was set.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What it should be.
        expected: &'static str,
    },
    /// A collective operation failed; every peer of the group stops.
    #[error("collective {operation} failed: {problem}")]
    Collective {
        /// `"register"`, `"all-reduce"`, `"finish"` or `"orchestrator"`.
        operation: &'static str,
        /// What the collective engine said.
        problem: String,
    },
}

/// A [`PeerError::Setting`] error.
pub(crate) fn bad(name: &'static str, value: f64, expected: &'static str) -> Result<(), PeerError> {
    Err(PeerError::Setting {
        name,
        value,
        expected,
    })
}
