//! After training: evaluate on a held-out set, keep the per-epoch history as JSON, save the
//! trained network with one of Burn's recorders, and load it back for inference.
//!
//! ```text
//! cargo run --release -p shiftkit --example evaluate_and_save
//! ```

// A demo program: its results go to stdout.
#![allow(clippy::print_stdout)]

use burn::data::dataloader::DataLoaderBuilder;
use burn::module::{AutodiffModule, Module};
use burn::record::{BinFileRecorder, FullPrecisionSettings};
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::{MoonsConfig, PointBatcher};
use shiftkit::methods::{DannConfig, DannTrainer};
use shiftkit::nn::ShallowEncoderConfig;
use shiftkit::train::evaluate;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let pair = MoonsConfig::new().with_n_samples(200).with_seed(0).init()?;
    let train = |data, seed| {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(32)
            .shuffle(seed)
            .build(data)
    };
    let config = DannConfig::new()
        .with_num_classes(2)
        .with_lr(0.05)
        .with_discriminator_layers(0);
    let model = ShallowEncoderConfig::new().init::<Cpu>(&device)?;
    let mut trainer = DannTrainer::new(
        model,
        train(pair.source_train.clone(), 1),
        train(pair.target_train.clone(), 2),
        config,
        &device,
    )?;
    trainer.fit(10)?;

    // Evaluation runs in evaluation mode, on the inner backend.
    let test = DataLoaderBuilder::<CpuInner, _, _>::new(PointBatcher)
        .batch_size(256)
        .build(pair.target_test.clone());
    let before = trainer.evaluate(test.as_ref(), "target-test")?;

    let dir = std::env::temp_dir().join("shiftkit-evaluate-and-save");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("history.json"),
        serde_json::to_string_pretty(trainer.history())?,
    )?;
    let recorder = BinFileRecorder::<FullPrecisionSettings>::new();
    let path = dir.join("model");
    trainer.into_model().save_file(&path, &recorder)?;

    // A fresh network of the same configuration, with the saved weights.
    let loaded = ShallowEncoderConfig::new()
        .init::<Cpu>(&device)?
        .load_file(&path, &recorder, &device)?;
    let after = evaluate(&loaded.valid(), test.as_ref(), "target-test")?;
    println!(
        "{}: {:.1}% after training, {:.1}% after loading (saved under {})",
        before.domain,
        100.0 * before.accuracy,
        100.0 * after.accuracy,
        dir.display()
    );
    assert_eq!(
        before.accuracy, after.accuracy,
        "the saved network is the trained one"
    );
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
