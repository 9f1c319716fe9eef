//! One whole DANN run, timed, written as a user writes it: the public API with the library's
//! defaults (the system allocator, Burn's thread pool as it starts, `Method::Dann`'s preset,
//! the reference encoder with its `Auto` kernels, `fit` tracking the target accuracy at its
//! default, every 8th step). The data are the PyTorch reference's: the first 10,000 digits of MNIST's
//! training set as the source, optdigits' 1,200-digit training split as the target.
//!
//! ```text
//! cargo bench -p shiftkit --bench whole_run -- mlp 3000 [MNIST_DIR]
//! ```
//!
//! Prints one JSON line: the training time of `fit` (the tests after it are not timed, as the
//! reference times its training epochs alone), steps per second and the two test accuracies.
//! `benches/torch/side_by_side.py --parts whole` runs it against the reference.

// A measuring program: its one result goes to stdout.
#![allow(missing_docs, clippy::print_stdout)]

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::{AutodiffModule, ModuleDisplay};
use burn::tensor::Tensor;
use shiftkit::backend::{Cpu, TrainingBackend};
use shiftkit::data::{
    DigitBatcher, DigitDataset, DigitItem, DigitsPair, DomainBatch, FlatDigitBatcher,
};
use shiftkit::nn::{CnnEncoderConfig, MlpEncoderConfig, NnError};
use shiftkit::prelude::{DannTrainer, Encoder, Method};

const BATCH: usize = 64;
const SOURCE_SIZE: usize = 10_000;

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo bench` passes `--bench`: only the positional arguments count.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let model = args.first().map_or("mlp", String::as_str);
    let steps: usize = args.get(1).map_or(Ok(3000), |steps| steps.parse())?;
    let mnist = args.get(2).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist"),
        PathBuf::from,
    );
    let pair = DigitsPair::from_mnist_dir(&mnist, SOURCE_SIZE)?;
    let device = Default::default();
    match model {
        "mlp" => run::<Cpu, _, 2, _>(model, &pair, FlatDigitBatcher, steps, &device, |device| {
            MlpEncoderConfig::new().init(device)
        }),
        "cnn" => run::<Cpu, _, 4, _>(model, &pair, DigitBatcher, steps, &device, |device| {
            CnnEncoderConfig::new().init(device)
        }),
        other => Err(format!("unknown model {other:?}: mlp or cnn").into()),
    }
}

/// Trains DANN on `pair` for the whole epochs that cover `steps`, seed 0, and prints the timing
/// as the JSON line `name`.
fn run<B, M, const D: usize, Bt>(
    name: &str,
    pair: &DigitsPair,
    batcher: Bt,
    steps: usize,
    device: &B::Device,
    build: impl Fn(&B::Device) -> Result<M, NnError>,
) -> Result<(), Box<dyn Error>>
where
    B: TrainingBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
    Bt: Batcher<B, DigitItem, DomainBatch<B, D>>
        + Batcher<B::InnerBackend, DigitItem, DomainBatch<B::InnerBackend, D>>
        + Clone
        + 'static,
{
    B::seed(device, 0);
    let model = build(device)?;
    let train = |data: &DigitDataset, seed| -> Arc<dyn DataLoader<B, DomainBatch<B, D>>> {
        DataLoaderBuilder::new(batcher.clone())
            .batch_size(BATCH)
            .shuffle(seed)
            .build(data.clone())
    };
    let source = train(&pair.source_train, 1);
    let target = train(&pair.target_train, 2);
    let config = Method::Dann.config().with_seed(0);
    let mut trainer = DannTrainer::new(model, source, target, config, device)?;
    let epochs = steps.div_ceil(SOURCE_SIZE.div_ceil(BATCH));

    let started = Instant::now();
    let history = trainer.fit(epochs)?;
    let seconds = started.elapsed().as_secs_f64();

    let test = |data: &DigitDataset| {
        DataLoaderBuilder::<B::InnerBackend, _, _>::new(batcher.clone())
            .batch_size(512)
            .build(data.clone())
    };
    let target_test = trainer.evaluate(test(&pair.target_test).as_ref(), "target-test")?;
    let source_test = trainer.evaluate(test(&pair.source_test).as_ref(), "source-test")?;
    let steps_done: usize = history.iter().map(|epoch| epoch.steps).sum();
    println!(
        "{{\"peer\": \"shiftkit\", \"model\": \"{name}\", \"steps\": {steps_done}, \
         \"train_seconds\": {seconds:.3}, \"steps_per_second\": {:.2}, \
         \"tgt_test_acc\": {:.4}, \"src_test_acc\": {:.4}}}",
        steps_done as f64 / seconds,
        target_test.accuracy,
        source_test.accuracy,
    );
    Ok(())
}
