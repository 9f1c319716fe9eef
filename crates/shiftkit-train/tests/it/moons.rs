//! DANN against source-only on the two-moons task (target rotated by 35 degrees).
#![allow(clippy::print_stderr)] // The per-seed numbers are the evidence; `--nocapture` shows them.

use crate::common;
use common::serial;

use common::{accuracy, moons_trainer};
use shiftkit_data::moons::MoonsConfig;
use shiftkit_train::DannConfig;

/// Target-test accuracy after training with `config`.
fn target_accuracy(config: DannConfig, seed: u64, epochs: usize) -> f64 {
    let pair = MoonsConfig::new()
        .with_seed(seed)
        .with_n_samples(600)
        .init()
        .unwrap();
    let mut trainer = moons_trainer(&pair, config, seed);
    trainer.fit(epochs).unwrap();
    accuracy(&trainer, &pair.target_test, "target-test")
}

const EPOCHS: usize = 150;

#[test]
fn dann_beats_source_only_on_rotated_moons() {
    let _serial = serial();
    let mut gains = Vec::new();
    for seed in [0, 1, 2] {
        // The paper's network: one sigmoid hidden layer of 15 units, and a logistic-regression
        // domain classifier on it.
        let config = DannConfig::new().with_lr(0.05).with_discriminator_layers(0);
        let source_only = target_accuracy(config.clone().with_domain_weight(0.0), seed, EPOCHS);
        let dann = target_accuracy(config, seed, EPOCHS);
        eprintln!("seed {seed}: source-only {source_only:.3}, DANN {dann:.3}");
        gains.push(dann - source_only);
    }
    let mean_gain = gains.iter().sum::<f64>() / gains.len() as f64;
    assert!(mean_gain > 0.05, "DANN gains {gains:?} on the target");
    assert!(
        gains.iter().all(|g| *g > 0.0),
        "DANN lost on a seed: {gains:?}"
    );
}
