//! Choosing a method without target labels: every preset is trained (source-only among them,
//! always), each candidate's epochs are scored by a label-free validator on held-out source
//! rows and unlabelled target rows, and the best eligible one is kept. Source-only stays the
//! choice unless adaptation proves itself; the warnings say why something was not chosen.
//!
//! Here: the reference MLP on a few hundred digits, MNIST as the labelled source and optdigits
//! as the unlabelled target, 40 steps per candidate (`cargo digits --validator im` and
//! `cargo suite` of `shiftkit-lab` run the full-size choice).
//!
//! ```text
//! cargo run --release -p shiftkit --example select_method
//! ```

// A demo program: its results go to stdout.
#![allow(clippy::print_stdout)]

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::transform::PartialDataset;
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::{DigitsPair, FlatDigitBatcher};
use shiftkit::methods::{DannConfig, DannTrainer, Method};
use shiftkit::nn::MlpEncoderConfig;
use shiftkit::select::{SelectConfig, grid, select};
use shiftkit::validate::Validator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let pair = DigitsPair::embedded(0)?;
    let first = |data, n| PartialDataset::new(data, 0, n);
    let (source, target) = (
        first(pair.source_train.clone(), 640),
        first(pair.target_train.clone(), 640),
    );
    // Held-out labelled source rows (never trained on) and the target's rows: the validator
    // reads the target's inputs only.
    let held_out = DataLoaderBuilder::<CpuInner, _, _>::new(FlatDigitBatcher)
        .batch_size(250)
        .build(first(pair.source_test.clone(), 500));
    let target_rows = DataLoaderBuilder::<CpuInner, _, _>::new(FlatDigitBatcher)
        .batch_size(250)
        .build(target.clone());

    // Every preset at its own weights on the recommended regime; source-only comes first.
    let candidates = grid(&Method::ALL, &DannConfig::recommended(), &[])?;
    // Each candidate trains for 40 optimiser steps (whole epochs), every epoch scored.
    let config = SelectConfig::new(Validator::Im, 1)
        .with_steps(40)
        .with_choose_epoch(true);
    let selection = select(
        &candidates,
        |candidate| {
            let model = MlpEncoderConfig::new().init::<Cpu>(&device)?;
            let train = |data: &PartialDataset<_, _>, seed| {
                DataLoaderBuilder::new(FlatDigitBatcher)
                    .batch_size(64)
                    .shuffle(seed)
                    .build(data.clone())
            };
            DannTrainer::new(
                model,
                train(&source, 1),
                train(&target, 2),
                candidate.config.clone(),
                &device,
            )
        },
        held_out.as_ref(),
        target_rows.as_ref(),
        &config,
        |_, _, _, _| {},
    )?;
    for (i, trained) in selection.candidates.iter().enumerate() {
        println!(
            "{:<12} epoch {} score {:+.3}{}{}",
            trained.candidate.label(),
            trained.kept.epoch,
            trained.kept.score,
            if trained.eligible {
                ""
            } else {
                "  (not eligible)"
            },
            if i == selection.chosen {
                "  <- chosen"
            } else {
                ""
            }
        );
    }
    for failed in &selection.failed {
        println!("{} failed: {}", failed.candidate.label(), failed.error);
    }
    for warning in &selection.warnings {
        println!("warning: {warning}");
    }
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
