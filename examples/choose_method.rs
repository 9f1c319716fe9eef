//! Choosing a method is choosing a `DannConfig`: the same trainer runs every method, a
//! `Method` preset naming which adaptation terms join the source cross-entropy (none for
//! source-only; the domain-adversarial term for DANN; plus MSTN's centroids; MMD; CORAL;
//! CDAN and CDAN+E; MCC).
//!
//! Here: the reference MLP on a few hundred digits, MNIST as the labelled source and optdigits
//! as the unlabelled target, two epochs per method (the `digits` program of `shiftkit-lab`
//! runs the full comparison).
//!
//! ```text
//! cargo run --release -p shiftkit --example choose_method
//! ```

// A demo program: its results go to stdout.
#![allow(clippy::print_stdout)]

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn::tensor::backend::Backend;
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::{DigitsPair, FlatDigitBatcher};
use shiftkit::methods::{DannConfig, DannTrainer, Method};
use shiftkit::nn::MlpEncoderConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let pair = DigitsPair::embedded(0)?;
    // A few hundred digits of each domain keep the demo to seconds.
    let first = |data, n| PartialDataset::new(data, 0, n);
    let (source, target) = (
        first(pair.source_train.clone(), 640),
        first(pair.target_train.clone(), 640),
    );
    let target_test = first(pair.target_test.clone(), 500);

    // Each preset on the regime measured best on digits (`DannConfig::recommended()`); a
    // preset can also be applied to a configuration of your own: `Method::Dann.configure(c)`.
    for method in Method::ALL {
        let (name, config): (_, DannConfig) = (method.title(), method.config());
        Cpu::seed(&device, 0);
        let model = MlpEncoderConfig::new().init::<Cpu>(&device)?;
        let train = |data: &PartialDataset<_, _>, seed| {
            DataLoaderBuilder::new(FlatDigitBatcher)
                .batch_size(64)
                .shuffle(seed)
                .build(data.clone())
        };
        let mut trainer =
            DannTrainer::new(model, train(&source, 1), train(&target, 2), config, &device)?;
        trainer.fit(2)?;
        let test = DataLoaderBuilder::<CpuInner, _, _>::new(FlatDigitBatcher)
            .batch_size(250)
            .build(target_test.clone());
        let result = trainer.evaluate(test.as_ref(), "target-test")?;
        println!(
            "{name:<12} target accuracy {:.1}% on {} digits",
            100.0 * result.accuracy,
            target_test.len()
        );
    }
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
