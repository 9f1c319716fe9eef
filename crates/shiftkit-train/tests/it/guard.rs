//! The collapse guard: each alarm on a constructed record, and the three policies on a run.

use crate::common;

use common::{moons, moons_trainer, parameters, seeded_trainer, serial};
use shiftkit_train::{Alarm, CollapsePolicy, DannConfig, EpochRecord, TrainError, alarms};

fn record(epoch: usize) -> EpochRecord {
    EpochRecord {
        epoch,
        ce_loss: 0.3,
        losses: [("domain", 0.6), ("semantic", 0.0), ("mmd", 0.0)]
            .map(|(name, loss)| (name.to_string(), loss))
            .into(),
        total_loss: 0.5,
        src_acc: 0.9,
        src_mae: None,
        tgt_acc: 0.7,
        alpha: 0.5,
        lr: 1e-3,
        disc_acc: 0.6,
        tgt_majority: 0.3,
        latent_norm: 2.0,
        warmup: false,
        steps: 10,
        seconds: 1.0,
        alarms: Vec::new(),
    }
}

#[test]
fn each_alarm_is_raised_by_its_sign_and_a_healthy_epoch_raises_none() {
    let _serial = serial();
    let config = DannConfig::new();
    let earlier = vec![record(1), record(2)];
    assert!(alarms(&record(3), &earlier, &config).is_empty());

    let mut collapsed = record(3);
    collapsed.tgt_majority = 0.95;
    assert_eq!(
        alarms(&collapsed, &earlier, &config),
        [Alarm::ClassCollapse { share: 0.95 }]
    );
    let mut drifted = record(3);
    drifted.latent_norm = 10.0;
    assert_eq!(
        alarms(&drifted, &earlier, &config),
        [Alarm::FeatureDrift { growth: 5.0 }]
    );
    let mut dropped = record(3);
    dropped.src_acc = 0.6;
    assert!(matches!(
        alarms(&dropped, &earlier, &config)[..],
        [Alarm::SourceDrop { best, now }] if best == 0.9 && now == 0.6
    ));
    let mut separated = record(3);
    separated.losses.insert("domain".to_string(), 1e-5);
    assert_eq!(
        alarms(&separated, &earlier, &config),
        [Alarm::DomainLossZero { loss: 1e-5 }]
    );
    // Warmup and source-only epochs have no domain loss to judge.
    separated.warmup = true;
    assert!(alarms(&separated, &earlier, &config).is_empty());
}

/// A run whose first adversarial epoch (after two of warmup) always raises an alarm: every
/// domain loss is under a floor of 10.
fn alarming(policy: CollapsePolicy) -> DannConfig {
    DannConfig::new()
        .with_lr(1e-2)
        .with_warmup_epochs(2)
        .with_domain_loss_floor(10.0)
        .with_collapse_policy(policy)
}

#[test]
fn report_records_the_alarms_and_goes_on() {
    let _serial = serial();
    let mut trainer = seeded_trainer(alarming(CollapsePolicy::Report), 0);
    let history = trainer.fit(4).unwrap();
    assert!(history[..2].iter().all(|r| r.alarms.is_empty()));
    assert!(
        history[2..]
            .iter()
            .all(|r| matches!(r.alarms[..], [Alarm::DomainLossZero { .. }]))
    );
    let json = serde_json::to_string(&history[0]).unwrap();
    assert!(
        !json.contains("alarms"),
        "healthy records keep ShiftKit's keys only"
    );
}

#[test]
fn stop_ends_training_with_a_typed_error() {
    let _serial = serial();
    let mut trainer = seeded_trainer(alarming(CollapsePolicy::Stop), 0);
    match trainer.fit(5) {
        Err(TrainError::Collapsed {
            epoch: 3,
            alarms,
            restored: None,
        }) => {
            assert!(matches!(alarms[..], [Alarm::DomainLossZero { .. }]))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(trainer.history().len(), 3);
}

#[test]
fn restore_best_puts_back_the_best_healthy_epoch() {
    let _serial = serial();
    let pair = moons(0);
    let mut trainer = moons_trainer(&pair, alarming(CollapsePolicy::RestoreBest), 0);
    let restored = match trainer.fit(5) {
        Err(TrainError::Collapsed {
            epoch: 3,
            restored: Some(e),
            ..
        }) => e,
        other => panic!("{other:?}"),
    };
    let history = trainer.history();
    let best = if history[1].src_acc > history[0].src_acc {
        2
    } else {
        1
    };
    assert_eq!(restored, best);
    // The same run stopped after that epoch has exactly these weights.
    let mut reference = moons_trainer(&pair, alarming(CollapsePolicy::Report), 0);
    reference.fit(restored).unwrap();
    assert_eq!(parameters(reference.model()), parameters(trainer.model()));
    assert_eq!(
        parameters(reference.discriminator()),
        parameters(trainer.discriminator())
    );
}
