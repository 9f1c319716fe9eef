#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! One full DANN training step: encode source and target, cross-entropy, reversal +
//! discriminator BCE [+ MSTN], backward, Adam. Batch 64 + 64, MNIST-shaped inputs, latent 128,
//! discriminator 128 (ShiftKit's defaults), for the MLP and the CNN reference encoders, with
//! and without MSTN, on each CPU backend. The batches are built once, outside the timed loop;
//! the step includes the one host read of its losses, as PyTorch's `loss.item()` does.
//!
//! Filter with criterion's usual syntax, e.g. `cargo bench --bench step -- mlp`. The CPU
//! backends split large matrix products over rayon's pool (a thread per core unless
//! `RAYON_NUM_THREADS` says otherwise); the two domains' passes run on the trainer's own two
//! threads besides (docs/performance.md).

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::{AutodiffModule, ModuleDisplay};
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{DigitBatcher, DigitDataset, DigitItem, DomainBatch, FlatDigitBatcher};
use shiftkit::nn::{CnnEncoderConfig, DropoutMasks, MlpEncoderConfig, host_backend};
use shiftkit::prelude::{DannConfig, DannTrainer, Encoder};

/// Training allocates and frees many buffers of the same large sizes every step; the system
/// allocator returns them to the OS and page-faults them back (14% of the step in a profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 64;

/// A dataset of `n` random digits (values in [0, 1), labels 0..9), seeded.
fn random_digits(n: usize, seed: u64) -> DigitDataset {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pixels = (0..n * 784)
        .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32)
        .collect();
    let labels = (0..n).map(|_| (next() % 10) as u8).collect();
    DigitDataset::new(pixels, labels).expect("well-formed digits")
}

fn batch_of<B: AutodiffBackend, const D: usize, Bt>(
    batcher: &Bt,
    data: &DigitDataset,
) -> DomainBatch<B, D>
where
    Bt: Batcher<B, DigitItem, DomainBatch<B, D>>,
{
    use burn::data::dataset::Dataset;
    let items = (0..BATCH).filter_map(|i| data.get(i)).collect();
    batcher.batch(items, &Default::default())
}

fn bench_backend<B, M, const D: usize, Bt>(
    c: &mut Criterion,
    backend: &str,
    model_name: &str,
    make_model: impl Fn(&B::Device) -> M,
    batcher: Bt,
) where
    B: TrainingBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
    Bt: Batcher<B, DigitItem, DomainBatch<B, D>> + Clone + 'static,
{
    let device = B::Device::default();
    let source = random_digits(BATCH, 1);
    let target = random_digits(BATCH, 2);
    let loader = |data: &DigitDataset| -> Arc<dyn DataLoader<B, DomainBatch<B, D>>> {
        DataLoaderBuilder::new(batcher.clone())
            .batch_size(BATCH)
            .build(data.clone())
    };
    let source_batch = batch_of(&batcher, &source);
    let target_batch = batch_of(&batcher, &target);
    let mut group = c.benchmark_group(format!("dann_step/{backend}"));
    group.sample_size(if model_name == "cnn" { 10 } else { 30 });
    // Joint encoding (one pass over [x_s; x_t]) computes the same step for an encoder without
    // batch norm: measured for the MLP only.
    // The default step differentiates the two domains' encoder passes on two threads (on the
    // host-memory backends; elsewhere it is the one-thread step); the `_serial` variants keep
    // the whole backward pass on one, and are measured where the two differ.
    let mut methods = vec![("dann", 0.0, false, true), ("dann_mstn", 0.5, false, true)];
    if host_backend::<B::InnerBackend>(&device) {
        methods.push(("dann_serial", 0.0, false, false));
        methods.push(("dann_mstn_serial", 0.5, false, false));
    }
    if model_name == "mlp" {
        methods.push(("dann_joint", 0.0, true, false));
    }
    for (method, semantic, joint, parallel) in methods {
        B::seed(&device, 0);
        let config = DannConfig::new()
            // The encoders' and the discriminator's kernels follow the backend (`Auto`).
            .with_discriminator_dropout_masks(DropoutMasks::Auto)
            .with_semantic_weight(semantic)
            .with_joint_encoding(joint)
            .with_parallel_domains(parallel);
        let mut trainer = DannTrainer::new(
            make_model(&device),
            loader(&source),
            loader(&target),
            config,
            &device,
        )
        .expect("valid trainer");
        group.bench_function(BenchmarkId::new(model_name, method), |b| {
            b.iter(|| {
                trainer
                    .train_step(source_batch.clone(), target_batch.clone(), 0.5, 1e-3)
                    .expect("finite losses")
            })
        });
    }
    group.finish();
}

fn bench_models<B>(c: &mut Criterion, backend: &str)
where
    B: TrainingBackend,
{
    bench_backend::<B, _, 2, _>(
        c,
        backend,
        "mlp",
        |device| MlpEncoderConfig::new().init(device).expect("valid MLP"),
        FlatDigitBatcher,
    );
    bench_backend::<B, _, 4, _>(
        c,
        backend,
        "cnn",
        |device| CnnEncoderConfig::new().init(device).expect("valid CNN"),
        DigitBatcher,
    );
}

fn bench(c: &mut Criterion) {
    // `SHIFTKIT_BENCH_CPU=0` skips the CPU backends (for a GPU machine's short session).
    if std::env::var("SHIFTKIT_BENCH_CPU").as_deref() == Ok("0") {
        #[cfg(feature = "cuda")]
        bench_models::<shiftkit::backend::Cuda>(c, "cuda");
        return;
    }
    bench_models::<shiftkit::backend::NdArray>(c, "ndarray");
    bench_models::<shiftkit::backend::Cpu>(c, "flex");
    #[cfg(feature = "cuda")]
    bench_models::<shiftkit::backend::Cuda>(c, "cuda");
}

criterion_group!(benches, bench);
criterion_main!(benches);
