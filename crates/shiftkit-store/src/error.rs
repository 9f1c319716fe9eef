use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::IoFailure;

/// Why a checkpoint directory could not be written or read. Every variant names the file or
/// directory.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or directory could not be read, written, synced or renamed.
    #[error(transparent)]
    Io(IoFailure),
    /// A file is shorter (or longer) than the manifest says: cut off while written or copied.
    #[error("{file} is truncated: the manifest says {expected} bytes, the file has {found}")]
    Truncated {
        /// The file.
        file: PathBuf,
        /// Its length in the manifest.
        expected: u64,
        /// Its length on disk.
        found: u64,
    },
    /// A file's content is damaged: a checksum that does not match, or a manifest that does
    /// not parse or lists a file outside its directory.
    #[error("{file} is corrupted: {problem}")]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The checkpoint was written in a format this version cannot read.
    #[error("{file} has checkpoint format {found}; this version reads format {supported}")]
    Version {
        /// The manifest.
        file: PathBuf,
        /// The format it declares.
        found: u32,
        /// The format this version reads and writes.
        supported: u32,
    },
    /// The directory already holds a checkpoint at or past the epoch to be written, which
    /// writing would replace or remove as the oldest; nothing is written.
    #[error(
        "{dir} already holds a checkpoint of epoch {found}, at or past epoch {epoch}: resume from it, or write into another directory"
    )]
    Ahead {
        /// The checkpoints' directory.
        dir: PathBuf,
        /// The newest epoch it holds.
        found: usize,
        /// The epoch to be written.
        epoch: usize,
    },
}

impl StoreError {
    pub(crate) fn io(path: &Path, action: &'static str, error: &io::Error) -> Self {
        Self::Io(IoFailure::new(path, action, error))
    }

    pub(crate) fn corrupt(file: &Path, problem: impl Into<String>) -> Self {
        Self::Corrupt {
            file: file.to_path_buf(),
            problem: problem.into(),
        }
    }
}
