//! Checkpoints: the trainer's whole state on disk, written so that a crash never loses the
//! last complete one, and read back so that a resumed run ends bit for bit where the
//! uninterrupted run ends.
//!
//! # What a checkpoint holds
//!
//! A directory `epoch-NNNNNN` with:
//! - `model.mpk`: the encoder and the discriminator (Burn's named MessagePack at full
//!   precision, batch-norm running statistics included);
//! - `optimizer.mpk`: Adam's moments and step counts, per parameter;
//! - `best.mpk` under [`CollapsePolicy::RestoreBest`](crate::CollapsePolicy): the best model so
//!   far;
//! - `state.json`: the schedule counters (epochs, steps, adaptation steps, planned epochs),
//!   the history, every adaptation term's state ([`AdaptationTerm::state`](crate::terms::AdaptationTerm::state): MSTN's target
//!   centroids), and how many passes each loader has begun;
//! - `manifest.json`: the format, the shiftkit version, the configuration, the epoch and step,
//!   and every file with its length and CRC-32 (and the manifest's own CRC).
//!
//! # Why resuming is exact
//!
//! Parameters, moments and centroids are stored bit for bit. The random streams are put back
//! without storing them: the backend's generator is seeded anew at the start of every epoch
//! from the run's seed and the epoch number (so an epoch's dropout draws depend on nothing
//! before it), and the loaders' shuffling generators are advanced by beginning, and dropping,
//! as many passes as the saved run's epochs began. The loaders given to a resumed trainer must
//! therefore be built as the saved run's were (same data, batch size and shuffle seed);
//! Burn's loaders keep their generator private, so this cannot be checked.
//!
//! # Data-parallel runs
//!
//! Every peer of a run ([`peers`](shiftkit_peers)) holds the same parameters, moments, centroids
//! and counters, so one checkpoint serves them all: the first peer of each process writes it
//! (each machine keeps a copy; give each process its own directory). To continue, every peer
//! loads its process's newest checkpoint ([`resume`](crate::DannTrainer::resume) or
//! [`resume_from`](crate::DannTrainer::resume_from)) and then joins; joining checks that all of
//! them resumed at the same step ([`TrainError::PeersOutOfStep`](crate::TrainError::PeersOutOfStep) otherwise). Each peer
//! advances its own shards' loaders, so the resumed run ends where the uninterrupted one
//! does.
//!
//! # Crash safety
//!
//! A checkpoint is written into a hidden temporary directory, every file synced to the disk,
//! then renamed into place and its parent synced: a crash at any instant leaves the previous
//! checkpoints intact, and at most a hidden partial directory, which is never read and is
//! removed by the next save. The newest [`Checkpoints::keep`] are kept. One run writes into a
//! directory at a time, and nothing it holds is replaced: a directory that already holds the
//! epoch a trainer would write, or a later one (another run's checkpoints, or a trainer resumed
//! from an older checkpoint of its own), is refused with [`StoreError::Ahead`](shiftkit_store::StoreError::Ahead), by `fit`
//! before it trains.

mod error;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder};
use serde::{Deserialize, Serialize};

pub use error::CheckpointError;

use shiftkit_store::MANIFEST;

use crate::config::DannConfig;
use crate::history::EpochRecord;

/// Where and how many checkpoints a trainer keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoints {
    /// The directory of the run's checkpoints (created if needed).
    pub dir: PathBuf,
    /// How many of the newest to keep (at least 1; default 2).
    pub keep: usize,
}

impl Checkpoints {
    /// Checkpoints in `dir`, keeping the newest two.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            keep: 2,
        }
    }

    /// Keeps the newest `keep` checkpoints (0 counts as 1).
    #[must_use]
    pub fn with_keep(mut self, keep: usize) -> Self {
        self.keep = keep.max(1);
        self
    }
}

/// `state.json`: what a checkpoint holds besides tensors.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TrainerState {
    pub(crate) epochs_done: usize,
    pub(crate) steps_done: usize,
    pub(crate) adaptation_steps_done: usize,
    pub(crate) planned_epochs: usize,
    /// Passes begun on the source and target loaders after the trainer's construction, by the
    /// writing peer. For the record: a resumed trainer counts its own from its loaders and
    /// the epochs (`passes_per_epoch`).
    pub(crate) loader_passes: [usize; 2],
    /// The examples of the source and target loaders' longest batches: a resumed run's
    /// loaders must batch alike (absent from checkpoints written before it was recorded).
    #[serde(default)]
    pub(crate) batch_sizes: Option<[usize; 2]>,
    pub(crate) history: Vec<EpochRecord>,
    /// Under `RestoreBest`: the best epoch and its source accuracy (its model in `best.mpk`).
    pub(crate) best: Option<(usize, f64)>,
    pub(crate) terms: Vec<TermState>,
}

/// One adaptation term's saved state.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TermState {
    pub(crate) name: String,
    pub(crate) state: Option<serde_json::Value>,
}

pub(crate) const STATE: &str = "state.json";
pub(crate) const MODEL: &str = "model.mpk";
pub(crate) const OPTIMIZER: &str = "optimizer.mpk";
pub(crate) const BEST: &str = "best.mpk";

pub(crate) type Format = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// A checkpoint's files as read and verified ([`shiftkit_store::read`]).
pub(crate) struct Stored<'a> {
    pub(crate) path: &'a Path,
    pub(crate) files: &'a BTreeMap<String, Vec<u8>>,
}

impl Stored<'_> {
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The bytes of file `name`, which the manifest must list.
    pub(crate) fn bytes(&self, name: &str) -> Result<&Vec<u8>, CheckpointError> {
        self.files.get(name).ok_or_else(|| {
            CheckpointError::corrupt(&self.file(MANIFEST), format!("{name} is not listed"))
        })
    }
}

/// The configuration as JSON, as the manifest stores it.
pub(crate) fn config_json(config: &DannConfig) -> serde_json::Value {
    serde_json::to_value(config).unwrap_or(serde_json::Value::Null)
}

/// The first field where `config` differs from a checkpoint's saved configuration, if any. The
/// saved one is read as [`DannConfig::from_json`] reads it first, so that a field added to the
/// configuration since the checkpoint was written takes its default rather than differing
/// from it.
pub(crate) fn difference_from_saved(
    config: &DannConfig,
    saved: &serde_json::Value,
) -> Option<String> {
    let saved = DannConfig::from_json(&saved.to_string())
        .map_or_else(|_| saved.clone(), |read| config_json(&read));
    config_difference(&config_json(config), &saved)
}

/// The first field where two configurations differ, if any.
fn config_difference(mine: &serde_json::Value, saved: &serde_json::Value) -> Option<String> {
    if mine == saved {
        return None;
    }
    let (Some(mine), Some(saved)) = (mine.as_object(), saved.as_object()) else {
        return Some("the configuration is not an object".to_string());
    };
    let keys: BTreeMap<&String, ()> = mine.keys().chain(saved.keys()).map(|k| (k, ())).collect();
    keys.keys()
        .find(|key| mine.get(**key) != saved.get(**key))
        .map(|key| {
            let show = |v: Option<&serde_json::Value>| {
                v.map_or("nothing".to_string(), ToString::to_string)
            };
            format!(
                "configuration field `{key}` is {} in the checkpoint, {} in the trainer",
                show(saved.get(*key)),
                show(mine.get(*key))
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_configuration_without_a_later_field_takes_its_default() {
        let config = DannConfig::new().with_semantic_weight(0.5);
        let mut saved = config_json(&config);
        let fields = saved.as_object_mut().unwrap();
        // Fields a checkpoint written without them does not have.
        fields.remove("track_every");
        fields.remove("terms");
        assert_eq!(difference_from_saved(&config, &saved), None);
        // A field that differs is still named.
        let other = config.clone().with_semantic_weight(0.7);
        let problem = difference_from_saved(&other, &saved).unwrap();
        assert!(problem.contains("`semantic_weight`"), "{problem}");
        // Without the reading first, the missing fields differed.
        assert!(config_difference(&config_json(&config), &saved).is_some());
    }
}
