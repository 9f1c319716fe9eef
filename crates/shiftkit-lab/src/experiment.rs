//! One training run, written once for every backend and model: build the loaders and the
//! model, train with [`DannTrainer`], evaluate on both test sets, and time it.

use std::error::Error;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::{Dataset, InMemDataset};
use burn::tensor::backend::{AutodiffBackend, Backend};
use serde::Serialize;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{DataError, DomainBatch, DomainPair, ResidentLoader, shard_indices};
use shiftkit::nn::{NnError, host_backend};
use shiftkit::peers::{Nodes, PeerConfig};
use shiftkit::prelude::{Checkpoints, DannConfig, DannTrainer, EpochRecord};
use shiftkit::train::{TrainError, TrainableEncoder};

use crate::progress::Progress;
use shiftkit::methods::Method;

/// How long to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// About this many optimiser steps, rounded up to whole epochs.
    Steps(usize),
    /// Exactly this many epochs.
    Epochs(usize),
}

impl Length {
    /// The epochs to train, given the steps in one epoch.
    pub fn epochs(self, steps_per_epoch: usize) -> usize {
        match self {
            Length::Steps(steps) => steps.div_ceil(steps_per_epoch.max(1)).max(1),
            Length::Epochs(epochs) => epochs,
        }
    }
}

/// Everything that defines one run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The method trained.
    pub method: Method,
    /// The model's name in the outputs (`mlp`, `cnn`, `shallow`).
    pub model: &'static str,
    /// The seed of weights, shuffling and (for the embedded digits) the data split.
    pub seed: u64,
    /// The method's configuration (its seed is set from `seed`).
    pub config: DannConfig,
    /// Examples per batch, in each domain.
    pub batch_size: usize,
    /// How long to train.
    pub length: Length,
    /// This run's checkpoint directory, if it keeps checkpoints.
    pub checkpoint_dir: Option<PathBuf>,
    /// Whether to continue from the newest checkpoint in `checkpoint_dir`.
    pub resume: bool,
    /// Data-parallel peers in this process, one thread each (1 and no `nodes`: no data
    /// parallelism). Each of the run's peers (`peers` in each process) trains on its shard of
    /// the training data with `batch_size / (peers x processes)` examples per batch, so the
    /// batch of a step over all peers stays `batch_size`.
    pub peers: usize,
    /// With several processes, possibly on several machines: this one's place among them.
    /// Every process runs the same runs in the same order.
    pub nodes: Option<Nodes>,
}

impl RunSpec {
    /// `method_model_seedN`, the stem of this run's file names.
    pub fn stem(&self) -> String {
        format!("{}_{}_seed{}", self.method, self.model, self.seed)
    }

    /// Where this process's peer `local_rank` stands among all the run's peers.
    fn peer(&self, local_rank: usize) -> PeerConfig {
        let peer = PeerConfig::local(local_rank, self.peers);
        match &self.nodes {
            Some(nodes) => peer.with_nodes(nodes.clone()),
            None => peer,
        }
    }
}

/// One line of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// The method's name.
    pub method: &'static str,
    /// The model's name.
    pub model: &'static str,
    /// The run's seed.
    pub seed: u64,
    /// Accuracy on the held-out target test set, in evaluation mode.
    pub target_accuracy: f64,
    /// Accuracy on the held-out source test set, in evaluation mode.
    pub source_accuracy: f64,
    /// Seconds of training in this process (evaluation excluded; after a resume, since it).
    pub seconds: f64,
    /// Optimiser steps per second of this process's training (0 when it took none).
    pub steps_per_second: f64,
}

/// A finished run: its summary and its per-epoch history.
#[derive(Debug, Clone)]
pub struct Run {
    /// What was run.
    pub spec: RunSpec,
    /// Its line of `summary.json`.
    pub record: RunRecord,
    /// One record per epoch.
    pub history: Vec<EpochRecord>,
}

/// What a loader's items must be.
pub trait Item: Send + Sync + Clone + fmt::Debug + 'static {}

impl<T: Send + Sync + Clone + fmt::Debug + 'static> Item for T {}

/// A batcher that serves a training backend and its inner backend: one value makes the
/// training batches and the evaluation batches.
pub trait PairBatcher<B: AutodiffBackend, I, const D: usize>:
    Batcher<B, I, DomainBatch<B, D>>
    + Batcher<B::InnerBackend, I, DomainBatch<B::InnerBackend, D>>
    + Clone
    + 'static
{
}

impl<T, B: AutodiffBackend, I, const D: usize> PairBatcher<B, I, D> for T where
    T: Batcher<B, I, DomainBatch<B, D>>
        + Batcher<B::InnerBackend, I, DomainBatch<B::InnerBackend, D>>
        + Clone
        + 'static
{
}

/// The most bytes of inputs a loader keeps on the device ([`ResidentLoader`]); a larger
/// dataset is streamed, its batches built on the host. Every data set of these programs fits
/// (MNIST's 60,000 training images take 188 MB).
pub const RESIDENT_BYTES: usize = 2 << 30;

/// A loader of `data` on backend `B` in batches of `batch_size`, shuffled with `shuffle`: on a
/// GPU backend, uploaded to the device once when it fits in [`RESIDENT_BYTES`]; streamed
/// otherwise, and always on a CPU backend, where a batch is built in host memory either way and
/// a second copy of the data would only cost memory (measured on the main job: 50 MB more at
/// the peak, no faster). Both give the same batches.
pub fn loader<B, I, Ds, Bt, const D: usize>(
    data: Ds,
    batcher: Bt,
    batch_size: usize,
    shuffle: Option<u64>,
    device: &B::Device,
) -> Arc<dyn DataLoader<B, DomainBatch<B, D>>>
where
    B: Backend,
    Bt: Batcher<B, I, DomainBatch<B, D>> + 'static,
    I: Item,
    Ds: Dataset<I> + 'static,
{
    if !host_backend::<B>(device)
        && let Some(resident) =
            ResidentLoader::within(RESIDENT_BYTES, &data, &batcher, batch_size, shuffle, device)
    {
        return Arc::new(resident);
    }
    let builder = DataLoaderBuilder::new(batcher)
        .batch_size(batch_size)
        .set_device(device.clone());
    match shuffle {
        Some(seed) => builder.shuffle(seed).build(data),
        None => builder.build(data),
    }
}

/// An evaluation loader of `data` on backend `B`: in order, 512 at a time.
pub fn eval_loader<B, I, Ds, Bt, const D: usize>(
    data: &Ds,
    batcher: Bt,
    device: &B::Device,
) -> Arc<dyn DataLoader<B, DomainBatch<B, D>>>
where
    B: Backend,
    Bt: Batcher<B, I, DomainBatch<B, D>> + 'static,
    I: Item,
    Ds: Dataset<I> + Clone + 'static,
{
    loader(data.clone(), batcher, 512, None, device)
}

/// How a trainer's loaders batch and shuffle.
pub(crate) struct Loaders<Bt> {
    batcher: Bt,
    batch_size: usize,
    /// The source's and the target's.
    shuffle_seeds: (u64, u64),
}

impl<Bt> Loaders<Bt> {
    /// `batch_size` rows, shuffled with `seed + 1` (source) and `seed + 2` (target): a
    /// one-process run's with its seed, a peer's with its stream's.
    pub(crate) fn for_run(batcher: Bt, batch_size: usize, seed: u64) -> Self {
        Self {
            batcher,
            batch_size,
            shuffle_seeds: (seed + 1, seed + 2),
        }
    }
}

/// A trainer of a fresh model on the training sets `(source, target)`: the backend seeded
/// with `seed` before `build_model` draws the weights, training loaders as `loaders` says, and
/// `config` with its seed set to `seed`.
///
/// # Errors
///
/// The model's or the trainer's configuration refused.
pub(crate) fn new_trainer<B, M, I, Ds, Bt, const D: usize>(
    (source, target): (Ds, Ds),
    loaders: Loaders<Bt>,
    seed: u64,
    config: DannConfig,
    build_model: impl FnOnce(&B::Device) -> Result<M, NnError>,
    device: &B::Device,
) -> Result<DannTrainer<B, M, D>, TrainError>
where
    B: TrainingBackend,
    M: TrainableEncoder<B, D>,
    Bt: Batcher<B, I, DomainBatch<B, D>> + Clone + 'static,
    I: Item,
    Ds: Dataset<I> + 'static,
{
    B::seed(device, seed);
    let model = build_model(device)?;
    let loader = |data: Ds, shuffle: u64| {
        loader(
            data,
            loaders.batcher.clone(),
            loaders.batch_size,
            Some(shuffle),
            device,
        )
    };
    DannTrainer::new(
        model,
        loader(source, loaders.shuffle_seeds.0),
        loader(target, loaders.shuffle_seeds.1),
        config.with_seed(seed),
        device,
    )
}

/// Peer `rank`'s shard of `data` ([`shard_indices`], drawn from `seed`).
fn shard<I: Item, Ds: Dataset<I>>(
    data: &Ds,
    rank: usize,
    peers: usize,
    seed: u64,
) -> Result<InMemDataset<I>, DataError> {
    let rows = shard_indices(data.len(), rank, peers, seed)?;
    Ok(InMemDataset::new(
        rows.into_iter().filter_map(|i| data.get(i)).collect(),
    ))
}

/// Every peer's training, peer 0 first.
type PeerRuns<T> = Result<Vec<PeerRun<T>>, Box<dyn Error>>;

/// One peer's training: its trainer, seconds and steps.
struct PeerRun<T> {
    trainer: T,
    seconds: f64,
    steps: usize,
}

/// Trains this process's `spec.peers` peers, one thread each, on their shards of `pair`'s
/// training data (drawn from `spec.seed`, among all the run's peers); every peer's model starts
/// from peer 0's (built as the one-process run builds it). The process's first peer reports
/// progress. Returns this process's peers' runs, its first peer first.
fn train_peers<B, M, I, Ds, Bt, const D: usize>(
    spec: &RunSpec,
    pair: &DomainPair<Ds>,
    batcher: Bt,
    build_model: impl Fn(&B::Device) -> Result<M, NnError>,
    device: &B::Device,
) -> PeerRuns<DannTrainer<B, M, D>>
where
    B: TrainingBackend,
    M: TrainableEncoder<B, D>,
    Bt: PairBatcher<B, I, D>,
    I: Item,
    Ds: Dataset<I> + Clone + 'static,
    DannTrainer<B, M, D>: Send,
{
    let local = spec.peers;
    let (first, peers) = (spec.peer(0).rank(), spec.peer(0).peers());
    if !spec.batch_size.is_multiple_of(peers) {
        return Err(format!(
            "--batch-size {} does not split over {peers} peers",
            spec.batch_size
        )
        .into());
    }
    // Built here, one after the other: the backend's generator is the process's.
    let mut trainers = Vec::with_capacity(local);
    for rank in first..first + local {
        let shards = (
            shard(&pair.source_train, rank, peers, spec.seed + 1)?,
            shard(&pair.target_train, rank, peers, spec.seed + 2)?,
        );
        // Each peer's shuffling streams 1000 seeds apart.
        let stream = 1000 * rank as u64;
        let loaders =
            Loaders::for_run(batcher.clone(), spec.batch_size / peers, spec.seed + stream);
        let config = spec.config.clone();
        trainers.push(new_trainer(
            shards,
            loaders,
            spec.seed,
            config,
            &build_model,
            device,
        )?);
    }
    let epochs = spec.length.epochs(trainers[0].steps_per_epoch());
    let label = format!("{} {} seed {}", spec.method, spec.model, spec.seed);
    let steps_per_epoch = trainers[0].steps_per_epoch();
    // Every peer takes the process's checkpoint before any joins: a peer that could not would
    // leave the others waiting for it in the join. (The first peer of the process writes.)
    let trainers = trainers
        .into_iter()
        .enumerate()
        .map(|(local_rank, trainer)| persisted(trainer, spec, epochs, &label, local_rank == 0))
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    let runs = std::thread::scope(|scope| {
        let handles: Vec<_> = trainers
            .into_iter()
            .enumerate()
            .map(|(local_rank, trainer)| {
                let peer = spec.peer(local_rank);
                let label = format!("{label} peer {}/{peers}", peer.rank());
                scope.spawn(move || -> Result<_, TrainError> {
                    let mut trainer = trainer.join(peer)?;
                    let (steps_before, started) = (trainer.steps_done(), Instant::now());
                    let remaining = epochs.saturating_sub(trainer.epochs_done());
                    let result = if local_rank == 0 {
                        let mut progress = Progress::new(&label, epochs, steps_per_epoch);
                        trainer.fit_observed(remaining, &mut progress)
                    } else {
                        trainer.fit(remaining)
                    };
                    let seconds = started.elapsed().as_secs_f64();
                    trainer.leave()?;
                    result?;
                    let steps = trainer.steps_done() - steps_before;
                    Ok(PeerRun {
                        trainer,
                        seconds,
                        steps,
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| "a peer's thread panicked".to_string())
            })
            .collect::<Vec<_>>()
    });
    let mut out = Vec::with_capacity(peers);
    for run in runs {
        out.push(run??);
    }
    Ok(out)
}

/// Trains one model on `pair` as `spec` says and measures it; returns the run and the trainer
/// (which holds the trained model).
///
/// # Errors
///
/// The model's or the trainer's configuration refused, or a failed training step.
///
/// The backend is seeded with `spec.seed` before `build_model` draws the weights, so a run is
/// reproducible. Training loaders shuffle (seeds `seed + 1` and `seed + 2`) on the autodiff
/// backend `B`; the evaluation loaders read the test sets in order, 512 at a time, on its
/// inner backend, where the model runs in evaluation mode (no dropout, batch-norm running
/// statistics).
pub fn train_and_evaluate<B, M, I, Ds, Bt, const D: usize>(
    spec: &RunSpec,
    pair: &DomainPair<Ds>,
    batcher: Bt,
    build_model: impl Fn(&B::Device) -> Result<M, NnError>,
    device: &B::Device,
) -> Result<(Run, DannTrainer<B, M, D>), Box<dyn Error>>
where
    // What DannTrainer needs of the backend and the model (see its impl block).
    B: TrainingBackend,
    M: TrainableEncoder<B, D>,
    Bt: PairBatcher<B, I, D>,
    I: Item,
    Ds: Dataset<I> + Clone + 'static,
    DannTrainer<B, M, D>: Send,
{
    let label = format!("{} {} seed {}", spec.method, spec.model, spec.seed);
    let parallel = spec.peers > 1 || spec.nodes.is_some();
    let (trainer, mut progress, seconds, steps_trained, peer_note) = if parallel {
        let mut runs = train_peers(spec, pair, batcher.clone(), build_model, device)?;
        let rates: Vec<String> = runs
            .iter()
            .enumerate()
            .map(|(local_rank, run)| {
                format!(
                    "peer {}: {:.0} steps/s",
                    spec.peer(local_rank).rank(),
                    run.steps as f64 / run.seconds.max(1e-9)
                )
            })
            .collect();
        let first = runs.swap_remove(0);
        let epochs = first.trainer.epochs_done();
        let progress = Progress::new(&label, epochs, first.trainer.steps_per_epoch());
        let note = format!(", {}", rates.join(", "));
        (first.trainer, progress, first.seconds, first.steps, note)
    } else {
        let trainer = new_trainer(
            (pair.source_train.clone(), pair.target_train.clone()),
            Loaders::for_run(batcher.clone(), spec.batch_size, spec.seed),
            spec.seed,
            spec.config.clone(),
            build_model,
            device,
        )?;
        let epochs = spec.length.epochs(trainer.steps_per_epoch());
        let mut trainer = persisted(trainer, spec, epochs, &label, true)?;
        let mut progress = Progress::new(&label, epochs, trainer.steps_per_epoch());
        let steps_before = trainer.steps_done();
        let started = Instant::now();
        trainer.fit_observed(epochs.saturating_sub(trainer.epochs_done()), &mut progress)?;
        let seconds = started.elapsed().as_secs_f64();
        let steps_trained = trainer.steps_done() - steps_before;
        (trainer, progress, seconds, steps_trained, String::new())
    };
    let history = trainer.history().to_vec();
    let epochs = trainer.epochs_done();

    let accuracy = |data: &Ds, name: &str| {
        let loader = eval_loader::<B::InnerBackend, I, Ds, Bt, D>(data, batcher.clone(), device);
        trainer.evaluate(loader.as_ref(), name).map(|r| r.accuracy)
    };
    let target_accuracy = accuracy(&pair.target_test, "target-test")?;
    let source_accuracy = accuracy(&pair.source_test, "source-test")?;
    // The speed of this process's training: after a resume, of the steps it took (none when the
    // run was already complete).
    let steps_per_second = if steps_trained == 0 {
        0.0
    } else {
        steps_trained as f64 / seconds.max(1e-9)
    };
    progress.finish(&format!(
        "target {:.1}%  source {:.1}%  ({epochs} epochs, {} steps, {seconds:.1} s, {steps_per_second:.0} steps/s{peer_note})",
        100.0 * target_accuracy,
        100.0 * source_accuracy,
        trainer.steps_done(),
    ));

    let record = RunRecord {
        method: spec.method.name(),
        model: spec.model,
        seed: spec.seed,
        target_accuracy,
        source_accuracy,
        seconds,
        steps_per_second,
    };
    let run = Run {
        spec: spec.clone(),
        record,
        history,
    };
    Ok((run, trainer))
}

/// `trainer` planned for `epochs` in all, with `spec`'s checkpoints if it keeps any: continued
/// from the newest in its directory when `spec.resume` (saying so when `report`), and writing
/// one after every epoch.
fn persisted<B, M, const D: usize>(
    trainer: DannTrainer<B, M, D>,
    spec: &RunSpec,
    epochs: usize,
    label: &str,
    report: bool,
) -> Result<DannTrainer<B, M, D>, Box<dyn Error>>
where
    B: TrainingBackend,
    M: TrainableEncoder<B, D>,
{
    let mut trainer = trainer.with_planned_epochs(epochs);
    let Some(dir) = &spec.checkpoint_dir else {
        return Ok(trainer);
    };
    if spec.resume {
        resume(&mut trainer, dir, label, report)?;
        if trainer.epochs_done() > epochs {
            return Err(format!(
                "{label}: the checkpoint in {} has trained {} epochs, more than the {epochs} this \
                 run asks for (--steps, --epochs): it is of a longer run",
                dir.display(),
                trainer.epochs_done()
            )
            .into());
        }
    }
    Ok(trainer.with_checkpoints(Checkpoints::new(dir)))
}

/// Continues `trainer` from the newest checkpoint in `dir`, or starts it fresh when there is
/// none; says which on stderr, with the programs' progress, when `report`.
#[allow(clippy::print_stderr)]
fn resume<B, M, const D: usize>(
    trainer: &mut DannTrainer<B, M, D>,
    dir: &std::path::Path,
    label: &str,
    report: bool,
) -> Result<(), Box<dyn Error>>
where
    B: TrainingBackend,
    M: TrainableEncoder<B, D>,
{
    let latest = shiftkit::store::latest(dir)?;
    if let Some(path) = &latest {
        trainer.resume_from(path)?;
    }
    if report {
        match latest {
            Some(path) => eprintln!(
                "{label:<26} resumed from {} (epoch {})",
                path.display(),
                trainer.epochs_done()
            ),
            None => eprintln!(
                "{label:<26} no checkpoint in {}: starting fresh",
                dir.display()
            ),
        }
    }
    Ok(())
}
