use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A file or directory that could not be read, written, synced, renamed, ...: the error of
/// every file operation of shiftkit's records and checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot {action} {path}: {message}")]
pub struct IoFailure {
    /// The file or directory.
    pub path: PathBuf,
    /// `"read"`, `"write"`, `"sync"`, `"rename"`, ...
    pub action: &'static str,
    /// The kind of the operating system's error.
    pub kind: io::ErrorKind,
    /// The operating system's message.
    pub message: String,
}

impl IoFailure {
    /// `error`, met doing `action` on `path`.
    pub fn new(path: &Path, action: &'static str, error: &io::Error) -> Self {
        Self {
            path: path.to_path_buf(),
            action,
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}
