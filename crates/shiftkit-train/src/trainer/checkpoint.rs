//! The trainer's side of its checkpoints ([`crate::checkpoint`]): what it saves of itself,
//! and how it takes a saved state back.

use std::path::{Path, PathBuf};

use burn::optim::Optimizer;
use burn::record::Recorder;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::records::{load_bytes, to_bytes};
use shiftkit_store::{self as store, FORMAT, MANIFEST, Manifest, latest, read_manifest};

use super::{DannTrainer, DomainLoader};
use crate::checkpoint::{
    BEST, CheckpointError, Checkpoints, Format, MODEL, OPTIMIZER, STATE, Stored, TermState,
    TrainerState, config_json, difference_from_saved,
};
use crate::config::DannConfig;
use crate::error::TrainError;
use crate::model::TrainableEncoder;

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: burn::tensor::backend::AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// Saves a checkpoint after every epoch that [`fit`](Self::fit) completes (see the
    /// [module](crate::checkpoint) for what it holds and how it is written).
    #[must_use]
    pub fn with_checkpoints(mut self, checkpoints: Checkpoints) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// Fixes the length of the whole run for the schedules (alpha's ramp, the learning rate):
    /// they run over `epochs` epochs in all, however many calls of [`fit`](Self::fit) train
    /// them. Without it, the plan is the epochs asked for so far. Needed to train a run in
    /// parts that equals the run in one go: `with_planned_epochs(10)`, `fit(4)`, then (maybe
    /// in another process, after [`resume`](Self::resume)) `fit(6)` equals `fit(10)`.
    #[must_use]
    pub fn with_planned_epochs(mut self, epochs: usize) -> Self {
        self.planned_epochs = self.planned_epochs.max(epochs);
        self
    }

    /// The epochs the schedules run over: at least the epochs trained and planned so far.
    pub fn planned_epochs(&self) -> usize {
        self.planned_epochs
    }

    /// Epochs trained so far.
    pub fn epochs_done(&self) -> usize {
        self.epochs_done
    }

    /// Whether the checkpoints `fit` will write after the next epoch can be written: their
    /// directory holds no checkpoint of that epoch or later (checked before training, so that
    /// no epoch is trained for a checkpoint that would be refused).
    pub(super) fn check_checkpoints(&self) -> Result<(), TrainError> {
        if let Some(checkpoints) = &self.checkpoints
            && self.peers.local_rank() == 0
        {
            store::check_not_ahead(&checkpoints.dir, self.epochs_done + 1)?;
        }
        Ok(())
    }

    /// Writes a checkpoint of the trainer now, into `checkpoints.dir`, and keeps the newest
    /// `checkpoints.keep`. Returns the checkpoint's directory.
    ///
    /// # Errors
    ///
    /// [`StoreError::Ahead`](shiftkit_store::StoreError::Ahead) (in [`CheckpointError::Store`])
    /// when the directory
    /// already holds a checkpoint of this epoch or a later one: nothing is then written or removed.
    /// [`CheckpointError::InsideEpoch`] when the last `fit` failed inside an epoch after applying
    /// some of its steps. (A custom loop's [`train_step`](Self::train_step)s are saved as they are:
    /// the loop, not the epoch count, knows where it stands.) [`CheckpointError::Io`] when a file
    /// cannot be written; the previous checkpoints are then intact.
    pub fn save_checkpoint(&self, checkpoints: &Checkpoints) -> Result<PathBuf, TrainError> {
        if let Some((epoch, steps)) = self.stopped_inside {
            return Err(CheckpointError::InsideEpoch { epoch, steps }.into());
        }
        let label = |name: &str| checkpoints.dir.join(name);
        let record_error = |name: &str, e| CheckpointError::from_record(&label(name), e);
        let model = to_bytes::<B, _>(self.model_ref(), &label(MODEL))
            .map_err(|e| record_error(MODEL, e))?;
        let optimizer = Recorder::<B>::record(&Format::default(), self.optimizer.to_record(), ())
            .map_err(|e| CheckpointError::corrupt(&label(OPTIMIZER), e.to_string()))?;
        let state = TrainerState {
            epochs_done: self.epochs_done,
            steps_done: self.steps_done,
            adaptation_steps_done: self.adaptation_steps_done,
            planned_epochs: self.planned_epochs,
            loader_passes: self
                .passes_per_epoch()
                .map(|passes| passes * self.epochs_done),
            batch_sizes: Some(self.batch_sizes()),
            history: self.history.clone(),
            best: self.best.as_ref().map(|(epoch, acc, _)| (*epoch, *acc)),
            terms: self
                .terms
                .iter()
                .map(|term| TermState {
                    name: term.name().to_string(),
                    state: term.state(),
                })
                .collect(),
        };
        let state = serde_json::to_vec_pretty(&state)
            .map_err(|e| CheckpointError::corrupt(&label(STATE), e.to_string()))?;
        let mut files = vec![(MODEL, model), (OPTIMIZER, optimizer), (STATE, state)];
        if let Some((_, _, best)) = &self.best {
            files.push((
                BEST,
                to_bytes::<B, _>(best, &label(BEST)).map_err(|e| record_error(BEST, e))?,
            ));
        }
        let manifest = Manifest {
            format: FORMAT,
            shiftkit_version: env!("CARGO_PKG_VERSION").to_string(),
            epoch: self.epochs_done,
            step: self.steps_done,
            config: config_json(&self.config),
            files: Vec::new(),
            checksum: String::new(),
        };
        Ok(store::write(
            &checkpoints.dir,
            manifest,
            &files,
            checkpoints.keep,
        )?)
    }

    /// Builds a trainer that continues the run saved in `dir` (its newest complete
    /// checkpoint), with the checkpoint's configuration, and keeps checkpointing into `dir`
    /// (the newest two; [`with_checkpoints`](Self::with_checkpoints) changes that).
    ///
    /// `model` is a network of the saved architecture (its weights are replaced), and the
    /// loaders must be built as the saved run's were (see the [module](crate::checkpoint)).
    /// Then [`fit`](Self::fit) with the epochs that remain: `planned_epochs() -
    /// epochs_done()` finishes the run as the uninterrupted one would have.
    ///
    /// A run with adaptation terms of its own ([`with_term`](Self::with_term)) builds its
    /// trainer as before and calls [`resume_from`](Self::resume_from) instead.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::NoCheckpoint`] when `dir` holds none; the errors of
    /// [`new`](Self::new) and of [`resume_from`](Self::resume_from).
    pub fn resume(
        dir: &Path,
        model: M,
        source: DomainLoader<B, D>,
        target: DomainLoader<B, D>,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let path = latest(dir)?.ok_or_else(|| CheckpointError::NoCheckpoint {
            dir: dir.to_path_buf(),
        })?;
        let manifest = read_manifest(&path)?;
        let config: DannConfig = serde_json::from_value(manifest.config).map_err(|e| {
            CheckpointError::corrupt(&path.join(MANIFEST), format!("configuration: {e}"))
        })?;
        let mut trainer = Self::new(model, source, target, config, device)?
            .with_checkpoints(Checkpoints::new(dir));
        trainer.resume_from(&path)?;
        Ok(trainer)
    }

    /// Loads a checkpoint into this trainer, which must be freshly built (no epoch trained)
    /// with the saved run's configuration, adaptation terms, model architecture and loaders.
    /// `path` is a checkpoint directory (`epoch-NNNNNN`) or a directory of checkpoints (its
    /// newest is read). Returns the epochs the checkpoint had trained.
    ///
    /// Every file is verified (length, CRC-32), the weights' outline is compared with the
    /// model's, and everything is decoded before anything is replaced: on any error the
    /// trainer is as it was.
    ///
    /// # Errors
    ///
    /// [`TrainError::Checkpoint`] with [`CheckpointError::AlreadyTrained`],
    /// [`NoCheckpoint`](CheckpointError::NoCheckpoint), [`Io`](CheckpointError::Io),
    /// [`Store`](CheckpointError::Store) (a truncated or damaged file, a newer format),
    /// [`Corrupt`](CheckpointError::Corrupt), [`WrongModel`](CheckpointError::WrongModel),
    /// [`OtherRun`](CheckpointError::OtherRun) or [`Joined`](CheckpointError::Joined).
    pub fn resume_from(&mut self, path: &Path) -> Result<usize, TrainError> {
        if self.epochs_done > 0 || self.steps_done > 0 {
            return Err(CheckpointError::AlreadyTrained {
                epochs: self.epochs_done,
                steps: self.steps_done,
            }
            .into());
        }
        if self.registered {
            return Err(CheckpointError::Joined.into());
        }
        let path = if path.join(MANIFEST).exists() {
            path.to_path_buf()
        } else {
            latest(path)?.ok_or_else(|| CheckpointError::NoCheckpoint {
                dir: path.to_path_buf(),
            })?
        };
        let (manifest, files) = store::read(&path)?;
        let read = Stored {
            path: &path,
            files: &files,
        };
        let mut state = self.saved_state(&read, &manifest)?;

        // A model file decoded into a copy of the model.
        let load_model = |name: &str| {
            load_bytes::<B, _>(
                self.model_ref().clone(),
                read.bytes(name)?,
                &read.file(name),
                &self.device,
            )
            .map_err(|e| CheckpointError::from_record(&read.file(name), e))
        };
        let model = load_model(MODEL)?;
        let best = match state.best {
            Some((epoch, acc)) => Some((epoch, acc, load_model(BEST)?)),
            None => None,
        };
        let optimizer = read.bytes(OPTIMIZER)?.clone();
        let optimizer = Recorder::<B>::load(&Format::default(), optimizer, &self.device)
            .map_err(|e| CheckpointError::corrupt(&read.file(OPTIMIZER), e.to_string()))?;

        self.load_term_states(std::mem::take(&mut state.terms), &read)?;

        // Decoded and checked: now replace.
        self.model = Some(model);
        self.best = best;
        self.optimizer = super::adam(&self.config).load_record(optimizer);
        self.take_counters(state);
        Ok(self.epochs_done)
    }

    /// The saved trainer state of a checkpoint, checked against its manifest and this
    /// trainer: the same configuration, consistent counts, the same terms.
    fn saved_state(
        &self,
        read: &Stored<'_>,
        manifest: &Manifest,
    ) -> Result<TrainerState, CheckpointError> {
        if let Some(problem) = difference_from_saved(&self.config, &manifest.config) {
            return Err(CheckpointError::OtherRun {
                file: read.file(MANIFEST),
                problem,
            });
        }
        let state: TrainerState = serde_json::from_slice(read.bytes(STATE)?)
            .map_err(|e| CheckpointError::corrupt(&read.file(STATE), e.to_string()))?;
        if (state.epochs_done, state.steps_done) != (manifest.epoch, manifest.step)
            || state.history.len() != state.epochs_done
        {
            return Err(CheckpointError::corrupt(
                &read.file(STATE),
                "its epoch and step counts disagree with the manifest or its history",
            ));
        }
        if let Some(saved) = state.batch_sizes
            && saved != self.batch_sizes()
        {
            return Err(CheckpointError::OtherRun {
                file: read.file(STATE),
                problem: format!(
                    "its source and target batches held {saved:?} examples, the trainer's loaders' \
                     {:?}",
                    self.batch_sizes()
                ),
            });
        }
        let names: Vec<&str> = self.terms.iter().map(|t| t.name()).collect();
        let saved: Vec<&str> = state.terms.iter().map(|t| t.name.as_str()).collect();
        if names != saved {
            return Err(CheckpointError::OtherRun {
                file: read.file(STATE),
                problem: format!("its terms are {saved:?}, the trainer's {names:?}"),
            });
        }
        Ok(state)
    }

    /// Gives every term its saved state, all or none: each term checks its state before
    /// taking it, and when one refuses, the terms before it get back the state they had.
    fn load_term_states(
        &mut self,
        saved: Vec<TermState>,
        read: &Stored<'_>,
    ) -> Result<(), CheckpointError> {
        let before: Vec<Option<serde_json::Value>> =
            self.terms.iter().map(|term| term.state()).collect();
        for (i, saved) in saved.into_iter().enumerate() {
            let Some(value) = saved.state else { continue };
            if let Err(e) = self.terms[i].load_state(value) {
                for (term, state) in self.terms[..i].iter_mut().zip(&before) {
                    if let Some(state) = state {
                        // The term's own state, just taken from it: it takes it back.
                        let _ = term.load_state(state.clone());
                    }
                }
                let problem = format!("term `{}`: {e}", saved.name);
                return Err(CheckpointError::corrupt(&read.file(STATE), problem));
            }
        }
        Ok(())
    }

    /// Takes a checkpoint's counters and history, and advances the loaders' shuffling
    /// generators by beginning (and dropping) the passes the saved run began: as many per
    /// epoch as this trainer's own loaders need, which in a data-parallel run may differ from
    /// the peer that wrote the checkpoint (its shard may have a batch more or less).
    fn take_counters(&mut self, state: TrainerState) {
        self.epochs_done = state.epochs_done;
        self.steps_done = state.steps_done;
        self.adaptation_steps_done = state.adaptation_steps_done;
        self.planned_epochs = self.planned_epochs.max(state.planned_epochs);
        self.history = state.history;
        self.stopped_inside = None;
        let per_epoch = self.passes_per_epoch();
        for (loader, passes) in [&self.source, &self.target].into_iter().zip(per_epoch) {
            for _ in 0..passes * state.epochs_done {
                drop(loader.iter());
            }
        }
    }
}
