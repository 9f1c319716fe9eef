//! A checkpoint directory on disk: written whole under a temporary name, synced, renamed
//! into place; read back with every file's length and checksum verified.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The checkpoint format this version writes and reads.
pub const FORMAT: u32 = 1;

/// The name of the manifest in a checkpoint directory.
pub const MANIFEST: &str = "manifest.json";

/// Prefix of a checkpoint's directory name: `epoch-000012`.
const PREFIX: &str = "epoch-";

/// A checkpoint's table of contents, `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The checkpoint format (1).
    pub format: u32,
    /// The version of shiftkit that wrote it.
    pub shiftkit_version: String,
    /// Epochs trained when it was written.
    pub epoch: usize,
    /// Optimiser steps taken when it was written.
    pub step: usize,
    /// The trainer's configuration, as JSON.
    pub config: serde_json::Value,
    /// The other files of the checkpoint.
    pub files: Vec<FileEntry>,
    /// CRC-32 of this manifest written with an empty `checksum`, in hex.
    pub checksum: String,
}

/// One file of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its name in the checkpoint directory.
    pub name: String,
    /// Its length in bytes.
    pub bytes: u64,
    /// CRC-32 of its content, in hex.
    pub crc32: String,
}

fn crc32(bytes: &[u8]) -> String {
    format!("{:08x}", crc32fast::hash(bytes))
}

impl Manifest {
    /// The manifest's text with its checksum filled in.
    fn seal(mut self) -> Result<(Self, Vec<u8>), serde_json::Error> {
        self.checksum = String::new();
        self.checksum = crc32(&serde_json::to_vec_pretty(&self)?);
        let text = serde_json::to_vec_pretty(&self)?;
        Ok((self, text))
    }

    /// Whether the checksum matches the rest.
    fn sealed(&self) -> bool {
        let mut unsealed = self.clone();
        unsealed.checksum = String::new();
        serde_json::to_vec_pretty(&unsealed).is_ok_and(|text| crc32(&text) == self.checksum)
    }
}

/// Writes `path` and flushes it to the disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = File::create(path).map_err(|e| StoreError::io(path, "create", &e))?;
    file.write_all(bytes)
        .map_err(|e| StoreError::io(path, "write", &e))?;
    file.sync_all()
        .map_err(|e| StoreError::io(path, "sync", &e))
}

/// Flushes a directory's entries (a rename into it) to the disk.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, "sync", &e))
}

/// Removes a directory by first renaming it to a hidden name: it leaves the list of
/// checkpoints at once, and a crash in the middle of the removal leaves only hidden debris.
fn discard(dir: &Path, path: &Path) -> Result<(), StoreError> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let trash = dir.join(format!(".trash-{name}-{}", std::process::id()));
    fs::rename(path, &trash).map_err(|e| StoreError::io(path, "rename", &e))?;
    fs::remove_dir_all(&trash).map_err(|e| StoreError::io(&trash, "remove", &e))
}

/// Writes one checkpoint into `dir/epoch-NNNNNN` and keeps the newest `keep` of `dir`.
///
/// The files go into a hidden temporary directory first, each synced to the disk, then the
/// directory is renamed into place and `dir` synced: a crash at any instant leaves either the
/// whole new checkpoint or none of it, and the older ones untouched.
pub fn write(
    dir: &Path,
    manifest: Manifest,
    files: &[(&str, Vec<u8>)],
    keep: usize,
) -> Result<PathBuf, StoreError> {
    check_not_ahead(dir, manifest.epoch)?;
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, "create", &e))?;
    let name = format!("{PREFIX}{:06}", manifest.epoch);
    let partial = dir.join(format!(".partial-{name}-{}", std::process::id()));
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(|e| StoreError::io(&partial, "remove", &e))?;
    }
    fs::create_dir(&partial).map_err(|e| StoreError::io(&partial, "create", &e))?;
    let mut manifest = manifest;
    manifest.files = files
        .iter()
        .map(|(name, bytes)| FileEntry {
            name: (*name).to_string(),
            bytes: bytes.len() as u64,
            crc32: crc32(bytes),
        })
        .collect();
    for (name, bytes) in files {
        write_synced(&partial.join(name), bytes)?;
    }
    let (_, text) = manifest
        .seal()
        .map_err(|e| StoreError::corrupt(&partial.join(MANIFEST), e.to_string()))?;
    write_synced(&partial.join(MANIFEST), &text)?;
    sync_dir(&partial)?;

    let target = dir.join(&name);
    fs::rename(&partial, &target).map_err(|e| StoreError::io(&partial, "rename", &e))?;
    sync_dir(dir)?;

    let all = list(dir)?;
    for (_, old) in &all[..all.len().saturating_sub(keep.max(1))] {
        discard(dir, old)?;
    }
    // Debris of runs that crashed while writing or removing.
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".partial-") || name.starts_with(".trash-") {
                // Best effort: debris is never read, so a failure here is harmless.
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    sync_dir(dir)?;
    Ok(target)
}

/// Checks that `dir` holds no checkpoint of `epoch` or later, which writing `epoch` would
/// replace or have removed as the oldest.
///
/// # Errors
///
/// [`StoreError::Ahead`], or [`StoreError::Io`] when `dir` cannot be listed.
pub fn check_not_ahead(dir: &Path, epoch: usize) -> Result<(), StoreError> {
    match list(dir)?.pop() {
        Some((found, _)) if found >= epoch => Err(StoreError::Ahead {
            dir: dir.to_path_buf(),
            found,
            epoch,
        }),
        _ => Ok(()),
    }
}

/// The complete checkpoints in `dir`, oldest first, with their epochs. A directory that does
/// not exist holds none.
///
/// # Errors
///
/// [`StoreError::Io`] when `dir` exists but cannot be listed.
pub fn list(dir: &Path) -> Result<Vec<(usize, PathBuf)>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(dir, "list", &e)),
    };
    let mut found: Vec<(usize, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let epoch = name.strip_prefix(PREFIX)?.parse().ok()?;
            entry.path().is_dir().then(|| (epoch, entry.path()))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The newest complete checkpoint in `dir`, if any.
///
/// # Errors
///
/// As [`list`].
pub fn latest(dir: &Path) -> Result<Option<PathBuf>, StoreError> {
    Ok(list(dir)?.pop().map(|(_, path)| path))
}

/// Reads the manifest of the checkpoint at `path` and verifies its own checksum and format.
///
/// # Errors
///
/// [`StoreError::Io`], [`StoreError::Corrupt`], [`StoreError::Version`].
pub fn read_manifest(path: &Path) -> Result<Manifest, StoreError> {
    let file = path.join(MANIFEST);
    let text = fs::read(&file).map_err(|e| StoreError::io(&file, "read", &e))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| StoreError::corrupt(&file, e.to_string()))?;
    // The format first, so that a newer layout is reported as such and not as damage.
    let format = value.get("format").and_then(serde_json::Value::as_u64);
    match format {
        Some(f) if f == u64::from(FORMAT) => {}
        Some(f) => {
            return Err(StoreError::Version {
                file,
                found: u32::try_from(f).unwrap_or(u32::MAX),
                supported: FORMAT,
            });
        }
        None => return Err(StoreError::corrupt(&file, "no `format` number")),
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| StoreError::corrupt(&file, e.to_string()))?;
    if !manifest.sealed() {
        return Err(StoreError::corrupt(
            &file,
            "its checksum does not match its content",
        ));
    }
    Ok(manifest)
}

/// Reads a whole checkpoint: its manifest and every file it lists, each verified by length
/// and checksum.
///
/// # Errors
///
/// As [`read_manifest`], and [`StoreError::Truncated`] or [`StoreError::Corrupt`]
/// for a file that does not match its entry.
pub fn read(path: &Path) -> Result<(Manifest, BTreeMap<String, Vec<u8>>), StoreError> {
    let manifest = read_manifest(path)?;
    let mut files = BTreeMap::new();
    for entry in &manifest.files {
        let file = path.join(&entry.name);
        if entry.name.contains(['/', '\\']) || entry.name == ".." {
            return Err(StoreError::corrupt(
                &path.join(MANIFEST),
                "a file name leaves the directory",
            ));
        }
        let bytes = fs::read(&file).map_err(|e| StoreError::io(&file, "read", &e))?;
        if bytes.len() as u64 != entry.bytes {
            return Err(StoreError::Truncated {
                file,
                expected: entry.bytes,
                found: bytes.len() as u64,
            });
        }
        if crc32(&bytes) != entry.crc32 {
            return Err(StoreError::corrupt(
                &file,
                "its checksum does not match the manifest",
            ));
        }
        files.insert(entry.name.clone(), bytes);
    }
    Ok((manifest, files))
}
