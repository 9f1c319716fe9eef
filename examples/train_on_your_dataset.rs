//! DANN on your own files: read each domain with `shiftkit::data::open` (a CSV table here;
//! `.npy`/`.npz` arrays and image folders go through the same call), batch with
//! `SampleBatcher`, and hand the two loaders to the trainer. No `Dataset` or `Batcher` to write.
//!
//! Here: sensor readings of four values in three states, taken at two sites; the second
//! site's sensors read higher (the domain shift), and its states are unknown to training; the
//! demo writes the sites' CSV files first, as your instruments would.
//!
//! ```text
//! cargo run --release -p shiftkit --example train_on_your_dataset
//! ```
//!
//! Images instead: `OpenOptions { image: Some(ImageConfig::new(64, 64)), ..Default::default() }`
//! reads `root/<class>/*.png` (or a flat folder, unlabelled), decoded lazily as batches are drawn.

// A demo program: its results go to stdout.
#![allow(clippy::print_stdout)]

use std::path::Path;

use burn::data::dataloader::DataLoaderBuilder;
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::{OpenOptions, SampleBatcher, SampleDataset, open};
use shiftkit::methods::{DannConfig, DannTrainer};
use shiftkit::nn::MlpEncoderConfig;

/// Writes `n` readings of a site to `path`: state `s` reads about `s` on every channel, plus
/// `offset` and a little noise; with a `state` column when `labelled`.
fn write_site(path: &Path, n: usize, offset: f32, labelled: bool) -> std::io::Result<()> {
    let noise = |i: usize, j: usize| ((i * 7919 + j * 104_729) % 1000) as f32 / 1000.0 - 0.5;
    let mut text = String::from(if labelled {
        "a,b,c,d,state\n"
    } else {
        "a,b,c,d\n"
    });
    for i in 0..n {
        let class = i % 3;
        let row: Vec<String> = (0..4)
            .map(|j| format!("{:.4}", class as f32 + offset + noise(i, j)))
            .chain(labelled.then(|| class.to_string()))
            .collect();
        text.push_str(&(row.join(",") + "\n"));
    }
    std::fs::write(path, text)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let dir = std::env::temp_dir().join(format!("shiftkit-your-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = |name: &str| dir.join(name);
    write_site(&file("site_a.csv"), 300, 0.0, true)?; // labelled source
    write_site(&file("site_b.csv"), 300, 0.8, false)?; // unlabelled target
    write_site(&file("site_b_checked.csv"), 90, 0.8, true)?; // a few checked by hand

    let options = OpenOptions {
        label_column: Some("state".to_string()), // the other numeric columns are the features
        ..OpenOptions::default()
    };
    let source = open(file("site_a.csv"), &options)?;
    let target = open(file("site_b.csv"), &options)?;
    let classes = source
        .num_classes()
        .ok_or("the source has no class labels")?;

    let batcher = SampleBatcher::new(source.shape());
    let train = |data: &SampleDataset, seed| {
        DataLoaderBuilder::new(batcher.clone())
            .batch_size(32)
            .shuffle(seed)
            .build(data.clone())
    };
    let model = MlpEncoderConfig::new()
        .with_input_dim(source.item_len())
        .with_hidden_dims(vec![32])
        .with_num_classes(classes)
        .init::<Cpu>(&device)?;
    let config = DannConfig::new().with_num_classes(classes).with_lr(1e-2);
    let mut trainer =
        DannTrainer::new(model, train(&source, 1), train(&target, 2), config, &device)?;
    let history = trainer.fit(5)?;

    let test = DataLoaderBuilder::<CpuInner, _, _>::new(batcher.clone())
        .batch_size(128)
        .build(open(file("site_b_checked.csv"), &options)?);
    let result = trainer.evaluate(test.as_ref(), "site-b-checked")?;
    let (epochs, accuracy) = (history.len(), 100.0 * result.accuracy);
    println!(
        "after {epochs} epochs, {}: {accuracy:.1}% correct",
        result.domain
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
