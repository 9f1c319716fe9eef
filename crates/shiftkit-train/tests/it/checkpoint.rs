//! Checkpoints: a run trained in parts, through a checkpoint, equals the run in one go bit for
//! bit; the newest checkpoints are kept; damaged, truncated, foreign or newer checkpoints are
//! typed errors that change nothing, and the older checkpoint still loads.

use crate::common;

use std::convert::identity;
use std::path::Path;

use common::{
    B, Loader, Poison, Scratch, Trainer, accuracy, moons, parameters, serial, train_loader,
};
use proptest::prelude::*;
use shiftkit_data::MoonsPair;
use shiftkit_nn::ShallowEncoderConfig;
use shiftkit_store::StoreError;
use shiftkit_train::checkpoint::{CheckpointError, Checkpoints};
use shiftkit_train::terms::{AdaptationTerm, TermInputs, TermOutput};
use shiftkit_train::{CollapsePolicy, DannConfig, DannTrainer, EpochRecord, TrainError};

const SEED: u64 = 5;

/// DANN with MSTN (centroids to carry over), dropout in the discriminator (random draws),
/// shuffled loaders and RestoreBest (a best model to carry over).
fn config() -> DannConfig {
    DannConfig::recommended()
        .with_semantic_weight(0.5)
        .with_num_classes(2)
        .with_seed(SEED)
        .with_collapse_policy(CollapsePolicy::RestoreBest)
        // Two classes, early epochs: one-class predictions happen on the moons; no alarm for them.
        .with_collapse_threshold(1.0)
}

fn model(hidden: usize) -> shiftkit_nn::ShallowEncoder<B> {
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, SEED);
    ShallowEncoderConfig::new()
        .with_latent_dim(hidden)
        .init::<B>(&device)
        .unwrap()
}

/// A new trainer whose encoder has `hidden` features, on the pair's loaders.
fn with_width(pair: &MoonsPair, config: DannConfig, hidden: usize) -> Trainer {
    let (source, target) = loaders(pair);
    DannTrainer::new(model(hidden), source, target, config, &Default::default()).unwrap()
}

fn fresh(pair: &MoonsPair, config: DannConfig) -> Trainer {
    with_width(pair, config, 15)
}

/// The pair's training loaders, shuffled the same way for every trainer here.
fn loaders(pair: &MoonsPair) -> (Loader, Loader) {
    (
        train_loader(pair.source_train.clone(), 32, SEED),
        train_loader(pair.target_train.clone(), 32, SEED + 1),
    )
}

/// A trainer resumed from the newest checkpoint in `dir`, on new loaders built the same way.
fn resume(dir: &Path, pair: &MoonsPair) -> Result<Trainer, TrainError> {
    let (source, target) = loaders(pair);
    DannTrainer::resume(dir, model(15), source, target, &Default::default())
}

/// A fresh run of [`config`] on the moons of [`SEED`] after `epochs` epochs, checkpointing
/// into a new scratch directory as `checkpoints` sets up.
fn checkpointed(
    name: &str,
    checkpoints: impl FnOnce(Checkpoints) -> Checkpoints,
    epochs: usize,
) -> (MoonsPair, Scratch, Trainer) {
    let pair = moons(SEED);
    let dir = Scratch::new(&format!("checkpoint-{name}"));
    let mut trainer =
        fresh(&pair, config()).with_checkpoints(checkpoints(Checkpoints::new(dir.path())));
    trainer.fit(epochs).unwrap();
    (pair, dir, trainer)
}

/// A history without its wall-clock times, which no two runs share.
fn timeless(history: &[EpochRecord]) -> Vec<EpochRecord> {
    history
        .iter()
        .cloned()
        .map(|mut r| {
            r.seconds = 0.0;
            r
        })
        .collect()
}

/// The epochs of the checkpoints in `dir`, oldest first.
fn kept_epochs(dir: &Path) -> Vec<usize> {
    shiftkit_store::list(dir)
        .unwrap()
        .into_iter()
        .map(|(epoch, _)| epoch)
        .collect()
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn a_run_resumed_from_a_checkpoint_equals_the_run_in_one_go() {
    let _serial = serial();
    let pair = moons(SEED);
    let dir = Scratch::new("checkpoint-resume");

    let mut whole = fresh(&pair, config());
    whole.fit(5).unwrap();

    // Two epochs, checkpointed, of a run planned for five; the trainer is then dropped as a
    // killed process would be.
    let mut first = fresh(&pair, config())
        .with_planned_epochs(5)
        .with_checkpoints(Checkpoints::new(dir.path()));
    first.fit(2).unwrap();
    drop(first);

    let mut resumed = resume(dir.path(), &pair).unwrap();
    assert_eq!(resumed.epochs_done(), 2);
    assert_eq!(resumed.planned_epochs(), 5);
    resumed.fit(3).unwrap();

    assert_eq!(timeless(resumed.history()), timeless(whole.history()));
    assert_eq!(resumed.steps_done(), whole.steps_done());
    assert_eq!(
        bits(&parameters(resumed.model())),
        bits(&parameters(whole.model()))
    );
    assert_eq!(
        bits(&parameters(resumed.discriminator())),
        bits(&parameters(whole.discriminator()))
    );
    assert_eq!(
        resumed.aligner().unwrap().to_record(),
        whole.aligner().unwrap().to_record()
    );
    let target_accuracy = |trainer| accuracy(trainer, &pair.target_test, "target-test");
    assert_eq!(
        target_accuracy(&resumed).to_bits(),
        target_accuracy(&whole).to_bits()
    );
    // The resumed trainer kept checkpointing into the directory: the newest two remain.
    assert_eq!(kept_epochs(dir.path()), [4, 5]);
}

#[test]
fn the_newest_checkpoints_are_kept_and_partial_ones_are_ignored() {
    let _serial = serial();
    let (_, dir, mut trainer) = checkpointed("keep", |c| c.with_keep(3), 4);
    assert_eq!(kept_epochs(dir.path()), [2, 3, 4]);

    // What a crash while writing epoch 5 leaves: a hidden partial directory. It is not a
    // checkpoint, and the next save clears it.
    let partial = dir.join(".partial-epoch-000005-1");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("model.mpk"), b"half").unwrap();
    assert_eq!(
        shiftkit_store::latest(dir.path()).unwrap(),
        Some(dir.join("epoch-000004"))
    );
    trainer.fit(1).unwrap();
    assert!(!partial.exists());
    let manifest = shiftkit_store::read_manifest(&dir.join("epoch-000005")).unwrap();
    assert_eq!(manifest.epoch, 5);
    assert_eq!(manifest.step, trainer.steps_done());
    assert_eq!(manifest.format, 1);
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["model.mpk", "optimizer.mpk", "state.json", "best.mpk"]
    );
}

#[test]
fn a_directory_holding_a_later_epoch_is_refused_before_training_and_kept() {
    let _serial = serial();
    let (pair, dir, mut trainer) = checkpointed("ahead", identity, 3);
    assert_eq!(kept_epochs(dir.path()), [2, 3]);
    let ahead = |found, epoch| {
        TrainError::Checkpoint(CheckpointError::Store(StoreError::Ahead {
            dir: dir.path().to_path_buf(),
            found,
            epoch,
        }))
    };

    // A second, fresh run pointed at the same directory: its epoch 1 would be the oldest
    // checkpoint there, and keeping the newest two would remove it at once.
    let mut other = fresh(&pair, config()).with_checkpoints(Checkpoints::new(dir.path()));
    assert_eq!(other.fit(1).unwrap_err(), ahead(3, 1));
    assert_eq!(other.epochs_done(), 0, "refused before training");
    assert!(other.history().is_empty());

    // A run resumed from its older checkpoint would overwrite epoch 3.
    let mut older = fresh(&pair, config()).with_checkpoints(Checkpoints::new(dir.path()));
    older.resume_from(&dir.join("epoch-000002")).unwrap();
    assert_eq!(older.fit(1).unwrap_err(), ahead(3, 3));
    assert_eq!(older.epochs_done(), 2);

    // Saving the same epoch again.
    assert_eq!(
        trainer
            .save_checkpoint(&Checkpoints::new(dir.path()))
            .unwrap_err(),
        ahead(3, 3)
    );

    // Nothing was written or removed, and the run itself goes on.
    assert_eq!(kept_epochs(dir.path()), [2, 3]);
    trainer.fit(1).unwrap();
    assert_eq!(kept_epochs(dir.path()), [3, 4]);
}

#[test]
fn a_trainer_stopped_inside_an_epoch_is_not_checkpointed() {
    let _serial = serial();
    let pair = moons(SEED);
    let dir = Scratch::new("checkpoint-inside");
    let steps = fresh(&pair, config()).steps_per_epoch();
    // A NaN at the third step of the second epoch: two of its steps are applied before it.
    let mut trainer = fresh(&pair, config())
        .with_term(Poison::at(steps + 3))
        .unwrap();
    assert!(matches!(
        trainer.fit(3),
        Err(TrainError::NonFiniteLoss {
            epoch: 2,
            step: 3,
            ..
        })
    ));
    assert_eq!(
        (trainer.epochs_done(), trainer.steps_done()),
        (1, steps + 2)
    );
    // Saved, that state would be labelled epoch 1, and a resumed run would train epoch 2
    // again on top of the two steps.
    let checkpoints = Checkpoints::new(dir.path());
    assert_eq!(
        trainer.save_checkpoint(&checkpoints).unwrap_err(),
        TrainError::Checkpoint(CheckpointError::InsideEpoch { epoch: 2, steps: 2 })
    );
    assert!(kept_epochs(dir.path()).is_empty());
    // Once an epoch completes (the NaN was a single step's), it can be saved again.
    trainer.fit(1).unwrap();
    assert_eq!(trainer.epochs_done(), 2);
    trainer.save_checkpoint(&checkpoints).unwrap();
    assert_eq!(kept_epochs(dir.path()), [2]);

    // Nor does a trainer stopped inside its first epoch take a checkpoint: its loaders have
    // begun that epoch's passes, and the loaded run would not shuffle as the saved one did.
    let mut stopped = fresh(&pair, config()).with_term(Poison::at(3)).unwrap();
    assert!(stopped.fit(1).is_err());
    assert_eq!((stopped.epochs_done(), stopped.steps_done()), (0, 2));
    assert_eq!(
        stopped.resume_from(dir.path()).unwrap_err(),
        TrainError::Checkpoint(CheckpointError::AlreadyTrained {
            epochs: 0,
            steps: 2
        })
    );
}

#[test]
fn checkpoints_of_another_model_run_or_format_are_refused() {
    let _serial = serial();
    let (pair, dir, mut trainer) = checkpointed("foreign", identity, 1);
    let path = shiftkit_store::latest(dir.path()).unwrap().unwrap();

    // Another encoder width: the weights' outline differs.
    let mut wider = with_width(&pair, config(), 32);
    let before = parameters(wider.model());
    match wider.resume_from(&path) {
        Err(TrainError::Checkpoint(CheckpointError::WrongModel { file, at, .. })) => {
            assert_eq!(file, path.join("model.mpk"));
            assert!(at.contains("encoder"), "{at}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(parameters(wider.model()), before, "nothing changed");
    assert_eq!(wider.epochs_done(), 0);

    // Another configuration (here another MSTN weight).
    let mut other = fresh(&pair, config().with_semantic_weight(0.2));
    assert!(matches!(
        other.resume_from(&path),
        Err(TrainError::Checkpoint(CheckpointError::OtherRun { problem, .. }))
            if problem.contains("semantic_weight")
    ));

    // Loaders that batch otherwise (the same data, batches of 16 instead of 32).
    let mut rebatched = DannTrainer::new(
        model(15),
        train_loader(pair.source_train.clone(), 16, SEED),
        train_loader(pair.target_train.clone(), 16, SEED + 1),
        config(),
        &Default::default(),
    )
    .unwrap();
    assert!(matches!(
        rebatched.resume_from(&path),
        Err(TrainError::Checkpoint(CheckpointError::OtherRun { problem, .. }))
            if problem.contains("[32, 32]") && problem.contains("[16, 16]")
    ));
    assert_eq!(rebatched.epochs_done(), 0);

    // A newer format.
    let manifest_path = path.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(
        &manifest_path,
        text.replace("\"format\": 1", "\"format\": 2"),
    )
    .unwrap();
    assert!(matches!(
        fresh(&pair, config()).resume_from(&path),
        Err(TrainError::Checkpoint(CheckpointError::Store(
            StoreError::Version {
                found: 2,
                supported: 1,
                ..
            }
        )))
    ));

    // A trainer that has trained, and a directory without checkpoints.
    assert!(matches!(
        trainer.resume_from(&path),
        Err(TrainError::Checkpoint(CheckpointError::AlreadyTrained {
            epochs: 1,
            ..
        }))
    ));
    let empty = Scratch::new("checkpoint-empty");
    assert!(matches!(
        resume(empty.path(), &pair),
        Err(TrainError::Checkpoint(CheckpointError::NoCheckpoint { .. }))
    ));
}

/// A term of one's own with state: the steps it has seen. It takes back a saved count up to
/// `most`.
struct Steps {
    seen: usize,
    most: usize,
}

impl<Ad: burn::tensor::backend::AutodiffBackend> AdaptationTerm<Ad> for Steps {
    fn name(&self) -> &str {
        "steps"
    }

    fn weight(&self, _progress: f64) -> f64 {
        1.0
    }

    fn loss(&mut self, inputs: &TermInputs<'_, Ad>) -> Result<TermOutput<Ad>, TrainError> {
        self.seen += 1;
        Ok(TermOutput::loss(
            inputs.source_features.clone().sum().mul_scalar(0.0),
        ))
    }

    fn state(&self) -> Option<serde_json::Value> {
        Some(self.seen.into())
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        match state.as_u64() {
            Some(seen) if seen as usize <= self.most => {
                self.seen = seen as usize;
                Ok(())
            }
            _ => Err(TrainError::TermState {
                term: "steps".to_string(),
                problem: format!("{state} is more than {}", self.most),
            }),
        }
    }
}

#[test]
fn a_term_that_refuses_its_state_leaves_every_term_as_it_was() {
    let _serial = serial();
    let pair = moons(SEED);
    let dir = Scratch::new("checkpoint-terms");
    let with_steps = |most| {
        fresh(&pair, config())
            .with_term(Steps { seen: 0, most })
            .unwrap()
    };
    let mut saved = with_steps(usize::MAX).with_checkpoints(Checkpoints::new(dir.path()));
    saved.fit(2).unwrap();
    let centroids = saved.aligner().unwrap().to_record();

    // MSTN's term comes before `steps`, and would take its centroids first.
    let mut refusing = with_steps(0);
    let before = refusing.aligner().unwrap().to_record();
    assert_ne!(before, centroids);
    match refusing.resume_from(dir.path()) {
        Err(TrainError::Checkpoint(CheckpointError::Corrupt { problem, .. })) => {
            assert!(problem.contains("term `steps`"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(refusing.aligner().unwrap().to_record(), before);
    assert_eq!(refusing.epochs_done(), 0);

    // With room for the count, the same checkpoint loads, both states with it.
    let mut taking = with_steps(usize::MAX);
    taking.resume_from(dir.path()).unwrap();
    assert_eq!(taking.aligner().unwrap().to_record(), centroids);
    let seen = |trainer: &Trainer| trainer.term::<Steps>().unwrap().seen;
    assert!(seen(&saved) > 0);
    assert_eq!(seen(&taking), seen(&saved));
}

/// A directory with two checkpoints (epochs 1 and 2) of a small run, written once per test
/// binary, and the encoder weights each should load.
fn two_checkpoints() -> &'static (Scratch, Vec<f32>, Vec<f32>) {
    static DIR: std::sync::OnceLock<(Scratch, Vec<f32>, Vec<f32>)> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let _serial = serial();
        let (_, dir, mut trainer) = checkpointed("damage", identity, 1);
        let first = parameters(trainer.model());
        trainer.fit(1).unwrap();
        let second = parameters(trainer.model());
        (dir, first, second)
    })
}

/// Loads `path` into a fresh trainer: the encoder's weights, or the error.
fn load(path: &Path) -> Result<Vec<f32>, TrainError> {
    let pair = moons(SEED);
    let mut trainer = fresh(&pair, config());
    let before = parameters(trainer.model());
    match trainer.resume_from(path) {
        Ok(_) => Ok(parameters(trainer.model())),
        Err(e) => {
            assert_eq!(
                parameters(trainer.model()),
                before,
                "a failed load changed the model"
            );
            assert_eq!(trainer.epochs_done(), 0);
            Err(e)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A byte changed in any file of the newest checkpoint, or a file cut short: a typed
    /// error naming a file of the checkpoint (or, for a change that leaves the manifest's JSON
    /// meaning the same, such as one whitespace for another, the very same checkpoint); the
    /// older checkpoint still loads.
    #[test]
    fn damaged_checkpoints_are_typed_errors_and_the_older_one_still_loads(
        file in 0usize..5,
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        truncate in any::<bool>(),
    ) {
        let (dir, first, second) = two_checkpoints();
        // After `two_checkpoints`, which takes the lock itself the first time: `load` builds
        // trainers, which seed the generator.
        let _serial = serial();
        let newest = dir.join("epoch-000002");
        let names = ["manifest.json", "model.mpk", "optimizer.mpk", "state.json", "best.mpk"];
        let target = newest.join(names[file]);
        let original = std::fs::read(&target).unwrap();
        let at = position.index(original.len());
        let mut damaged = original.clone();
        if truncate {
            damaged.truncate(at);
        } else {
            damaged[at] ^= flip;
        }
        std::fs::write(&target, &damaged).unwrap();
        let result = load(&newest);
        std::fs::write(&target, &original).unwrap();

        match result {
            Err(TrainError::Checkpoint(error)) => {
                let named = match &error {
                    CheckpointError::Corrupt { file, .. }
                    | CheckpointError::Store(
                        StoreError::Corrupt { file, .. }
                        | StoreError::Truncated { file, .. }
                        | StoreError::Version { file, .. },
                    )
                    | CheckpointError::WrongModel { file, .. }
                    | CheckpointError::OtherRun { file, .. } => file.clone(),
                    CheckpointError::Io(failure) => failure.path.clone(),
                    other => panic!("unexpected {other:?}"),
                };
                prop_assert!(named.starts_with(&newest), "{error}");
            }
            Err(other) => prop_assert!(false, "not a checkpoint error: {other}"),
            Ok(weights) => {
                prop_assert_eq!(file, 0, "only a manifest change can keep its meaning");
                prop_assert_eq!(&weights, second);
            }
        }
        prop_assert_eq!(&load(&dir.join("epoch-000001")).unwrap(), first);
    }
}
