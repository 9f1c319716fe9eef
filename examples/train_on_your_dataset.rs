//! DANN on your own data: put your items behind Burn's `Dataset`, turn a batch of them into a
//! `DomainBatch` with a `Batcher`, and hand the two loaders to the trainer.
//!
//! Here: sensor readings of four values in three states, taken at two sites; the second
//! site's sensors read higher (the domain shift), and its states are unknown to training.
//!
//! ```text
//! cargo run --release -p shiftkit --example train_on_your_dataset
//! ```

// A demo program: its results go to stdout.
#![allow(clippy::print_stdout)]

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::DomainBatch;
use shiftkit::methods::{DannConfig, DannTrainer};
use shiftkit::nn::MlpEncoderConfig;

/// One item of your data.
#[derive(Debug, Clone)]
struct Reading {
    values: [f32; 4],
    state: u8,
}

/// Your data set: here readings kept in memory, made up for the demo.
#[derive(Debug, Clone)]
struct Readings(Vec<Reading>);

impl Readings {
    /// `n` readings; state `s` reads about `s` on every channel, plus `offset`.
    fn synthetic(n: usize, offset: f32, seed: u64) -> Self {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let readings = (0..n)
            .map(|i| {
                let state = (i % 3) as u8;
                let values = [0; 4].map(|_| f32::from(state) + offset + uniform() - 0.5);
                Reading { values, state }
            })
            .collect();
        Self(readings)
    }
}

impl Dataset<Reading> for Readings {
    fn get(&self, index: usize) -> Option<Reading> {
        self.0.get(index).cloned()
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Turns readings into a batch: inputs `[N, 4]`, labels `[N]`.
#[derive(Debug, Clone)]
struct ReadingBatcher;

impl<B: Backend> Batcher<B, Reading, DomainBatch<B, 2>> for ReadingBatcher {
    fn batch(&self, items: Vec<Reading>, device: &B::Device) -> DomainBatch<B, 2> {
        let n = items.len();
        let values: Vec<f32> = items.iter().flat_map(|r| r.values).collect();
        let labels: Vec<i64> = items.iter().map(|r| i64::from(r.state)).collect();
        DomainBatch {
            inputs: Tensor::from_data(TensorData::new(values, [n, 4]), device),
            labels: Tensor::from_data(TensorData::new(labels, [n]), device),
            values: None,
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let (source, target) = (
        Readings::synthetic(300, 0.0, 1),
        Readings::synthetic(300, 0.8, 2),
    );
    let train = |data: &Readings, seed| {
        DataLoaderBuilder::new(ReadingBatcher)
            .batch_size(32)
            .shuffle(seed)
            .build(data.clone())
    };
    let model = MlpEncoderConfig::new()
        .with_input_dim(4)
        .with_hidden_dims(vec![32])
        .with_latent_dim(16)
        .with_num_classes(3)
        .init::<Cpu>(&device)?;
    let config = DannConfig::new().with_num_classes(3).with_lr(1e-2);
    let mut trainer =
        DannTrainer::new(model, train(&source, 1), train(&target, 2), config, &device)?;
    let history = trainer.fit(5)?;

    let test = DataLoaderBuilder::<CpuInner, _, _>::new(ReadingBatcher)
        .batch_size(128)
        .build(Readings::synthetic(90, 0.8, 3));
    let result = trainer.evaluate(test.as_ref(), "target-test")?;
    let last = history.last().ok_or("no epoch was trained")?;
    println!(
        "{} epochs, last domain loss {:.3}; {}: {:.1}% of {} readings",
        history.len(),
        last.loss("domain"),
        result.domain,
        100.0 * result.accuracy,
        result.n_samples
    );
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
