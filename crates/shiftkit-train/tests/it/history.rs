//! The history: ShiftKit's keys in JSON, epochs counted across calls to `fit`, observers.

use crate::common;
use common::serial;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::transform::PartialDataset;
use burn::tensor::backend::Backend;
use common::{B, eval_loader, moons, moons_trainer, parameters, seeded_trainer, train_loader};
use shiftkit_data::PointBatcher;
use shiftkit_nn::ShallowEncoderConfig;
use shiftkit_train::{DannConfig, DannTrainer, EpochRecord, StepReport, TrainObserver};

#[test]
fn records_serialise_with_the_seed_keys() {
    let _serial = serial();
    let mut trainer = seeded_trainer(DannConfig::new(), 0);
    let history = trainer.fit(1).unwrap();
    let json = serde_json::to_value(&history[0]).unwrap();
    let object = json.as_object().unwrap();
    for key in [
        "epoch",
        "ce_loss",
        "domain_loss",
        "semantic_loss",
        "mmd_loss",
        "total_loss",
        "src_acc",
        "tgt_acc",
    ] {
        assert!(object.contains_key(key), "missing key {key}");
    }
    assert_eq!(object["epoch"], 1);
    assert_eq!(object["mmd_loss"], 0.0);
    assert_eq!(
        object["semantic_loss"], 0.0,
        "semantic is disabled by default"
    );
    let back: EpochRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, history[0]);
    for acc in [history[0].src_acc, history[0].tgt_acc, history[0].disc_acc] {
        assert!((0.0..=1.0).contains(&acc), "accuracy {acc}");
    }
}

#[test]
fn a_second_fit_continues_training_and_the_epoch_count() {
    let _serial = serial();
    let mut trainer = seeded_trainer(DannConfig::new().with_lr(1e-2), 1);
    let first = trainer.fit(2).unwrap();
    let second = trainer.fit(3).unwrap();
    let epochs: Vec<usize> = first.iter().chain(&second).map(|r| r.epoch).collect();
    assert_eq!(epochs, vec![1, 2, 3, 4, 5]);
    assert_eq!(trainer.history().len(), 5);
    assert_eq!(trainer.steps_done(), 5 * trainer.steps_per_epoch());
    // Training went on from where it was: the loss keeps falling instead of starting over.
    assert!(second[2].ce_loss < first[0].ce_loss);
}

#[derive(Default)]
struct Counter {
    steps: usize,
    epochs: Vec<usize>,
    collapses: usize,
}

impl TrainObserver for Counter {
    fn on_step(&mut self, report: &StepReport) {
        assert!(report.total_loss.is_finite());
        self.steps += 1;
    }
    fn on_epoch(&mut self, record: &EpochRecord) {
        self.epochs.push(record.epoch);
    }
    fn on_collapse(&mut self, _record: &EpochRecord) {
        self.collapses += 1;
    }
}

#[test]
fn the_observer_hears_every_step_and_epoch() {
    let _serial = serial();
    let mut trainer = seeded_trainer(DannConfig::new(), 0);
    let mut counter = Counter::default();
    trainer.fit_observed(2, &mut counter).unwrap();
    assert_eq!(counter.steps, 2 * trainer.steps_per_epoch());
    assert_eq!(counter.epochs, vec![1, 2]);
}

#[test]
fn a_collapse_is_reported() {
    let _serial = serial();
    // With two classes the majority share is at least one half, so a threshold just above it
    // flags every epoch whose predictions are not perfectly balanced.
    let mut trainer = seeded_trainer(DannConfig::new().with_collapse_threshold(0.5), 0);
    let mut counter = Counter::default();
    let history = trainer.fit_observed(2, &mut counter).unwrap();
    let flagged = history.iter().filter(|r| r.collapsed(0.5)).count();
    assert_eq!(counter.collapses, flagged);
    assert!(
        history
            .iter()
            .all(|r| r.tgt_majority >= 0.5 && r.tgt_majority <= 1.0)
    );
}

#[test]
fn shortest_pairing_stops_at_the_shorter_loader() {
    let _serial = serial();
    let pair = moons(0);
    let cycle = moons_trainer(&pair, DannConfig::new(), 0);
    let zip = moons_trainer(
        &pair,
        DannConfig::new().with_pairing(shiftkit_train::Pairing::Shortest),
        0,
    );
    assert!(zip.steps_per_epoch() <= cycle.steps_per_epoch());
}

#[test]
fn joint_encoding_computes_the_same_step_for_an_encoder_without_batch_norm() {
    let _serial = serial();
    // The shallow encoder has neither dropout nor batch norm: one pass over [x_s; x_t] must
    // give the losses of two passes, up to the rounding of differently blocked products.
    let pair = moons(2);
    let mut apart = moons_trainer(&pair, DannConfig::new().with_semantic_weight(0.3), 2);
    let mut joint = moons_trainer(
        &pair,
        DannConfig::new()
            .with_semantic_weight(0.3)
            .with_joint_encoding(true),
        2,
    );
    let a = apart.fit(2).unwrap();
    let j = joint.fit(2).unwrap();
    for (a, j) in a.iter().zip(&j) {
        for (x, y) in [
            (a.ce_loss, j.ce_loss),
            (a.loss("domain"), j.loss("domain")),
            (a.loss("semantic"), j.loss("semantic")),
        ] {
            assert!((x - y).abs() < 1e-4, "apart {x} vs joint {y}");
        }
    }
}

/// Counts drift reports and keeps the growth ratios.
#[derive(Default)]
struct Drifts(Vec<(usize, f64)>);

impl TrainObserver for Drifts {
    fn on_drift(&mut self, record: &EpochRecord, growth: f64) {
        self.0.push((record.epoch, growth));
    }
}

#[test]
fn feature_drift_is_reported_past_the_threshold_only() {
    let _serial = serial();
    let pair = moons(0);
    let epochs = 8;
    // Just above 1: any epoch whose norm exceeds the earlier minimum is reported.
    let mut trainer = moons_trainer(&pair, DannConfig::new().with_drift_threshold(1.000_001), 0);
    let mut drifts = Drifts::default();
    let history = trainer.fit_observed(epochs, &mut drifts).unwrap();
    for (k, record) in history.iter().enumerate().skip(1) {
        let smallest = history[..k]
            .iter()
            .map(|r| r.latent_norm)
            .fold(f64::INFINITY, f64::min);
        let growth = record.latent_norm / smallest;
        let reported = drifts.0.iter().find(|(epoch, _)| *epoch == record.epoch);
        match reported {
            Some((_, g)) => assert!((g - growth).abs() < 1e-12 && growth > 1.000_001),
            None => assert!(growth <= 1.000_001, "epoch {} grew {growth}", record.epoch),
        }
    }
    assert!(
        !drifts.0.is_empty(),
        "the norms moved: some epoch exceeds its earlier minimum"
    );

    // The default threshold (4x) stays quiet on the same healthy run.
    let mut trainer = moons_trainer(&pair, DannConfig::new(), 0);
    let mut quiet = Drifts::default();
    trainer.fit_observed(epochs, &mut quiet).unwrap();
    assert!(quiet.0.is_empty(), "{:?}", quiet.0);
}

#[test]
fn the_target_is_tracked_on_the_batch_of_every_kth_step() {
    let _serial = serial();
    let pair = moons(0);
    let batch = 32;
    // The target loader is not shuffled: the first step reads the first 32 target points.
    let build = |track_every| {
        let device = Default::default();
        <B as Backend>::seed(&device, 0);
        let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
        let target = DataLoaderBuilder::new(PointBatcher)
            .batch_size(batch)
            .build(pair.target_train.clone());
        let config = DannConfig::new()
            .with_num_classes(2)
            .with_track_every(track_every);
        let source = train_loader(pair.source_train.clone(), batch, 0);
        DannTrainer::new(model, source, target, config, &device).unwrap()
    };
    let steps = build(1).steps_per_epoch();
    assert!(steps > 2, "an epoch of several steps");
    // Tracking every `steps`-th step tracks the first batch alone, before any update: the
    // untrained model's accuracy on the first 32 target points.
    let mut first_only = build(steps);
    let first = PartialDataset::new(pair.target_train.clone(), 0, batch);
    let expected = first_only
        .evaluate(eval_loader(first).as_ref(), "target, first batch")
        .unwrap()
        .accuracy;
    let history = first_only.fit(1).unwrap();
    assert!(
        (history[0].tgt_acc - expected).abs() < 1e-12,
        "tracked {} against {expected}",
        history[0].tgt_acc
    );
    // Every batch tracked measures another set: here, the epoch's whole target stream.
    let every = build(1).fit(1).unwrap();
    assert!((every[0].tgt_acc - expected).abs() > 1e-12);
}

#[test]
fn tracking_less_often_changes_nothing_that_trains() {
    let _serial = serial();
    let pair = moons(1);
    let mut every = moons_trainer(&pair, DannConfig::new().with_track_every(1), 1);
    let mut third = moons_trainer(&pair, DannConfig::new().with_track_every(3), 1);
    let (a, b) = (every.fit(3).unwrap(), third.fit(3).unwrap());
    for (a, b) in a.iter().zip(&b) {
        let trained = |r: &EpochRecord| {
            (
                r.ce_loss,
                r.loss("domain"),
                r.total_loss,
                r.src_acc,
                r.disc_acc,
            )
        };
        assert_eq!(trained(a), trained(b), "epoch {}", a.epoch);
    }
    assert_eq!(parameters(every.model()), parameters(third.model()));
    assert_eq!(
        parameters(every.discriminator()),
        parameters(third.discriminator())
    );
}
