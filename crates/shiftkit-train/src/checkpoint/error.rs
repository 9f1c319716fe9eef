use std::path::{Path, PathBuf};

use shiftkit_nn::RecordError;
use shiftkit_store::{IoFailure, StoreError};
use thiserror::Error;

/// Why a checkpoint could not be written or read. The variants about files name the file or
/// directory; a failed read leaves the trainer as it was.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A file or directory could not be read, written, synced or renamed.
    #[error(transparent)]
    Io(IoFailure),
    /// The directory holds no complete checkpoint.
    #[error("no complete checkpoint in {dir}")]
    NoCheckpoint {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The checkpoint directory or a file of it failed the store's checks: a file truncated
    /// or failing its checksum, a manifest of a newer format, or a directory already holding
    /// a later epoch than the one to be written.
    #[error(transparent)]
    Store(StoreError),
    /// A file's content is damaged: JSON that does not parse, a record that does not decode,
    /// or values that contradict each other.
    #[error("{file} is corrupted: {problem}")]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The checkpoint is of another model: another architecture, width or class count.
    #[error("{file} holds another model: at `{at}` the model has {expected}, the file {found}")]
    WrongModel {
        /// The weights file.
        file: PathBuf,
        /// Where they differ.
        at: String,
        /// What the model has there.
        expected: String,
        /// What the file has there.
        found: String,
    },
    /// The checkpoint was trained with another configuration or other adaptation terms than
    /// the trainer it is loaded into.
    #[error("{file} was written by another run: {problem}")]
    OtherRun {
        /// The state file.
        file: PathBuf,
        /// What differs.
        problem: String,
    },
    /// A checkpoint is loaded into a trainer that has already trained.
    #[error(
        "a checkpoint can only be loaded into a trainer that has not trained yet ({epochs} epochs, {steps} steps done)"
    )]
    AlreadyTrained {
        /// Epochs the trainer had trained.
        epochs: usize,
        /// Steps it had applied (a failed epoch's too: its loaders have begun that epoch's
        /// passes, so the loaded run would not shuffle as the saved one).
        steps: usize,
    },
    /// The trainer has joined a data-parallel run: every peer loads its checkpoint first, then
    /// joins, so that joining can check that they all resumed at the same step.
    #[error(
        "a checkpoint is loaded before joining a data-parallel run, not after: resume, then join"
    )]
    Joined,
    /// The trainer's last `fit` failed inside an epoch, after applying some of its steps: a
    /// checkpoint would label that state with the last whole epoch, and a run resumed from it
    /// would train the epoch again on top of them.
    #[error(
        "the trainer stopped inside epoch {epoch} with {steps} of its steps applied: a checkpoint of it would resume as if the epoch had not begun; resume from an earlier checkpoint, or complete an epoch first"
    )]
    InsideEpoch {
        /// The epoch the failure stopped.
        epoch: usize,
        /// Its steps applied before the failure.
        steps: usize,
    },
}

impl CheckpointError {
    pub(crate) fn corrupt(file: &Path, problem: impl Into<String>) -> Self {
        Self::Corrupt {
            file: file.to_path_buf(),
            problem: problem.into(),
        }
    }

    /// A record error of the weights file `file`.
    pub(crate) fn from_record(file: &Path, error: RecordError) -> Self {
        match error {
            RecordError::Mismatch {
                at,
                expected,
                found,
                ..
            } => Self::WrongModel {
                file: file.to_path_buf(),
                at,
                expected,
                found,
            },
            RecordError::Io(failure) => Self::Io(failure),
            other => Self::corrupt(file, other.to_string()),
        }
    }
}

impl From<StoreError> for CheckpointError {
    /// A file that could not be read or written is [`CheckpointError::Io`], as a record's;
    /// the rest is [`CheckpointError::Store`].
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Io(failure) => Self::Io(failure),
            other => Self::Store(other),
        }
    }
}
