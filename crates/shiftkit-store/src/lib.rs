//! Crash-safe checkpoint directories.
//!
//! A checkpoint is a directory `epoch-NNNNNN` of named files and a `manifest.json` that lists
//! each with its length and CRC-32, and seals itself with a CRC-32 of its own text.
//! [`write()`] puts the files into a hidden temporary directory, syncs each to the disk, renames
//! the directory into place and syncs its parent: a crash at any instant leaves the whole new
//! checkpoint or none of it, and the older ones untouched. [`read`] verifies the manifest's
//! seal and format, then every file's length and checksum, and names the file at fault.
//!
//! What the files hold is the caller's business: `shiftkit-train` stores a trainer's
//! parameters, optimiser moments and schedule in them.

mod dir;
mod error;
mod io;

pub use dir::{
    FORMAT, FileEntry, MANIFEST, Manifest, check_not_ahead, latest, list, read, read_manifest,
    write,
};
pub use error::StoreError;
pub use io::IoFailure;
