//! With `DeviceReads::Windowed` (a GPU's default), `fit` reads the device once per read window
//! and at each epoch's end, not once per step; a window that holds a non-finite loss rolls the
//! trainer back to the window's start. On a CPU backend (these tests' flex) `Auto` reads every
//! step before applying it.

use crate::common;
use common::{B, Poison, Steps, Trainer, moons, parameters, serial, train_loader};
use shiftkit_data::DomainBatch;
use shiftkit_nn::ShallowEncoderConfig;
use shiftkit_train::{
    DannConfig, DannTrainer, DeviceReads, EpochRecord, Method, READ_EVERY, TrainError,
};

/// DANN+MSTN on the moons pair of seed 3 in batches of 4, read in windows: two an epoch.
fn small_batch_trainer() -> Trainer {
    small_batch_trainer_reading(DeviceReads::Windowed)
}

/// DANN+MSTN on the moons pair of seed 3 in batches of 4, read as `reads` says.
fn small_batch_trainer_reading(reads: DeviceReads) -> Trainer {
    let pair = moons(3);
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 3);
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    let config = Method::DannMstn
        .configure(DannConfig::new())
        .with_num_classes(2)
        .with_seed(3)
        .with_device_reads(reads);
    DannTrainer::new(
        model,
        train_loader(pair.source_train, 4, 3),
        train_loader(pair.target_train, 4, 4),
        config,
        &device,
    )
    .unwrap()
}

/// The first source and target batches of four of the moons pair of seed 3, unshuffled: the
/// input of a custom loop's step.
fn first_batches() -> (DomainBatch<B, 2>, DomainBatch<B, 2>) {
    let pair = moons(3);
    let first = |data| train_loader(data, 4, 0).iter().next().expect("a batch");
    (first(pair.source_train), first(pair.target_train))
}

#[test]
fn fit_reads_the_device_once_per_window_and_at_each_epoch_end() {
    let _serial = serial();
    let mut trainer = small_batch_trainer();
    let steps = trainer.steps_per_epoch();
    assert!(steps > READ_EVERY, "{steps} steps an epoch");
    let mut reports = Steps::default();
    trainer.fit_observed(2, &mut reports).unwrap();
    // Per epoch: one read per window of READ_EVERY steps (the last one shorter), and the
    // target-tracking counts at its end.
    let per_epoch = steps.div_ceil(READ_EVERY) + 1;
    assert_eq!(trainer.host_reads(), 2 * per_epoch);
    assert!(trainer.host_reads() < steps, "a read per step");
    // Every step is still reported, in order.
    let reported: Vec<(usize, usize)> = reports.0.iter().map(|r| (r.epoch, r.step)).collect();
    let expected: Vec<(usize, usize)> = (1..=2)
        .flat_map(|epoch| (1..=steps).map(move |step| (epoch, step)))
        .collect();
    assert_eq!(reported, expected);

    // A custom loop's step reads its own numbers before it is applied: one read a step.
    let (source, target) = first_batches();
    let before = trainer.host_reads();
    trainer.train_step(source, target, 0.5, 1e-3).unwrap();
    assert_eq!(trainer.host_reads(), before + 1);
}

#[test]
fn a_non_finite_loss_in_a_later_window_rolls_back_to_that_windows_start() {
    let _serial = serial();
    // The NaN comes in the second window of the first epoch.
    let at = READ_EVERY + READ_EVERY / 2;
    let mut trainer = small_batch_trainer().with_term(Poison::at(at)).unwrap();
    let initial = parameters(trainer.model());
    let mut reports = Steps::default();
    match trainer.fit_observed(1, &mut reports) {
        Err(TrainError::NonFiniteLoss {
            term, epoch, step, ..
        }) => assert_eq!((term.as_str(), epoch, step), ("poison", 1, at)),
        other => panic!("expected NonFiniteLoss, got {other:?}"),
    }
    // Back at the end of the first window: its steps trained and were reported; the second
    // window's good steps before the NaN were rolled back with the rest, and not reported.
    assert_eq!(trainer.steps_done(), READ_EVERY);
    let reported: Vec<usize> = reports.0.iter().map(|r| r.step).collect();
    assert_eq!(reported, (1..=READ_EVERY).collect::<Vec<_>>());
    assert!(trainer.history().is_empty());
    let weights = parameters(trainer.model());
    assert!(weights.iter().all(|w| w.is_finite()));
    assert_ne!(weights, initial, "the first window's steps were kept");
    assert!(
        parameters(trainer.discriminator())
            .iter()
            .all(|v| v.is_finite())
    );
    // MSTN's target centroids went NaN in the failed window (they follow the poisoned
    // features); its roll-back put the settled ones back.
    let centroids: Vec<f32> = trainer
        .aligner()
        .expect("DANN+MSTN has an aligner")
        .state()
        .centroids()
        .clone()
        .into_data()
        .to_vec()
        .unwrap();
    assert!(centroids.iter().all(|c| c.is_finite()), "{centroids:?}");
}

#[test]
fn a_custom_loops_non_finite_step_is_not_applied() {
    let _serial = serial();
    let mut trainer = small_batch_trainer().with_term(Poison::at(1)).unwrap();
    let (weights, centroids) = (
        parameters(trainer.model()),
        trainer.aligner().unwrap().state().centroids().clone(),
    );
    let (source, target) = first_batches();
    let result = trainer.train_step(source, target, 0.5, 1e-3);
    assert!(
        matches!(&result, Err(TrainError::NonFiniteLoss { term, .. }) if term == "poison"),
        "{result:?}"
    );
    assert_eq!(trainer.steps_done(), 0);
    assert_eq!(parameters(trainer.model()), weights);
    let now = trainer.aligner().unwrap().state().centroids().clone();
    assert_eq!(now.into_data(), centroids.into_data());
}

#[test]
fn on_a_cpu_backend_fit_reads_every_step_before_applying_it() {
    let _serial = serial();
    let mut trainer = small_batch_trainer_reading(DeviceReads::Auto);
    let steps = trainer.steps_per_epoch();
    trainer.fit(1).unwrap();
    // A read a step, and the target-tracking counts at the epoch's end.
    assert_eq!(trainer.host_reads(), steps + 1);

    // The same run read in windows trains the same weights.
    let mut windowed = small_batch_trainer();
    windowed.fit(1).unwrap();
    assert_eq!(parameters(trainer.model()), parameters(windowed.model()));
    let numbers = |r: &EpochRecord| (r.ce_loss, r.total_loss, r.src_acc, r.tgt_acc, r.disc_acc);
    assert_eq!(
        numbers(&trainer.history()[0]),
        numbers(&windowed.history()[0])
    );

    // A non-finite loss stops `fit` before its step is applied: the good steps before it stay.
    let at = READ_EVERY + READ_EVERY / 2;
    let mut poisoned = small_batch_trainer_reading(DeviceReads::Auto)
        .with_term(Poison::at(at))
        .unwrap();
    let mut reports = Steps::default();
    assert!(matches!(
        poisoned.fit_observed(1, &mut reports),
        Err(TrainError::NonFiniteLoss { step, .. }) if step == at
    ));
    assert_eq!(poisoned.steps_done(), at - 1);
    let reported: Vec<usize> = reports.0.iter().map(|r| r.step).collect();
    assert_eq!(reported, (1..at).collect::<Vec<_>>());
    assert!(parameters(poisoned.model()).iter().all(|w| w.is_finite()));
}
