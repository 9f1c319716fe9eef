//! The split backward pass (the two domains' encoder graphs differentiated on two threads, then
//! summed) takes the step the single backward pass takes.
//!
//! Trainers seed the process's generator when built: every test holds the shared `serial` lock.

use crate::common;
use common::serial;

use burn::data::dataloader::DataLoaderBuilder;
use common::{moons, moons_trainer, parameters};
use shiftkit_data::PointBatcher;
use shiftkit_train::DannConfig;

/// One step from the same start, with and without the split, for a configuration.
///
/// Adam's epsilon is set to 1 so that the update is close to linear in the gradient (with the
/// usual 1e-8, a first step moves every weight by about `lr` whatever its gradient), and the
/// learning rate to 1 so that the update is the size of the gradient: a missing or doubled
/// term then shows as a difference of the size of that term.
fn same_step(config: DannConfig) {
    let adversarial = config.adversarial();
    let pair = moons(4);
    let config = config.with_adam_epsilon(1.0);
    let batch = |data| {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(48)
            .build(data)
            .iter()
            .next()
            .unwrap()
    };
    let source = batch(pair.source_train.clone());
    let target = batch(pair.target_train.clone());

    let mut results = Vec::new();
    for parallel in [false, true] {
        let mut trainer = moons_trainer(&pair, config.clone().with_parallel_domains(parallel), 4);
        let start = (
            parameters(trainer.model()),
            parameters(trainer.discriminator()),
        );
        let report = trainer
            .train_step(source.clone(), target.clone(), 0.7, 1.0)
            .unwrap();
        let after = (
            parameters(trainer.model()),
            parameters(trainer.discriminator()),
        );
        results.push((start, report, after));
    }
    let (start_serial, report_serial, after_serial) = &results[0];
    let (start_parallel, report_parallel, after_parallel) = &results[1];
    assert!(
        start_serial == start_parallel,
        "the two trainers start apart"
    );
    // The forward pass is the same computation: the same losses, bit for bit.
    assert_eq!(report_serial.total_loss, report_parallel.total_loss);
    assert_eq!(report_serial.loss("domain"), report_parallel.loss("domain"));
    assert_eq!(
        report_serial.loss("semantic"),
        report_parallel.loss("semantic")
    );

    let mut compared = vec![(
        "encoder",
        &start_serial.0,
        &after_serial.0,
        &after_parallel.0,
    )];
    if adversarial {
        compared.push((
            "discriminator",
            &start_serial.1,
            &after_serial.1,
            &after_parallel.1,
        ));
    }
    for (name, start, serial, parallel) in compared {
        let step: Vec<f32> = serial.iter().zip(start).map(|(a, b)| a - b).collect();
        let largest = step.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
        assert!(largest > 1e-3, "{name}: the step moved nothing");
        let worst = serial
            .iter()
            .zip(parallel)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f32, f32::max);
        assert!(
            worst <= 1e-5 * largest.max(1.0),
            "{name}: the split step differs by {worst} (largest move {largest})"
        );
    }
}

#[test]
fn the_split_backward_takes_the_same_dann_step() {
    let _serial = serial();
    same_step(DannConfig::new());
}

#[test]
fn the_split_backward_takes_the_same_dann_mstn_step() {
    let _serial = serial();
    same_step(DannConfig::new().with_semantic_weight(0.5));
}

#[test]
fn the_split_backward_takes_the_same_mstn_only_step() {
    let _serial = serial();
    same_step(
        DannConfig::new()
            .with_domain_weight(0.0)
            .with_semantic_weight(0.5),
    );
}
