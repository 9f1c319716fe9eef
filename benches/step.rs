#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! One full DANN training step: encode source and target, cross-entropy, reversal +
//! discriminator BCE [+ MSTN], backward, Adam. Batch 64 + 64, MNIST-shaped inputs, latent 128,
//! discriminator 128 (ShiftKit's defaults), for the MLP and the CNN reference encoders, with
//! and without MSTN, on each CPU backend; and torchvision's ResNet-18 (a 256-wide bottleneck,
//! 10 classes) on batches of 32 + 32 RGB images of 112x112, DANN only, on flex and CUDA, its
//! backbone trained and frozen (`resnet18_frozen`). The batches are built once, outside the timed loop;
//! the step includes the one host read of its losses, as PyTorch's `loss.item()` does.
//!
//! Filter with criterion's usual syntax, e.g. `cargo bench --bench step -- mlp`. The CPU
//! backends split large matrix products over rayon's pool (a thread per core unless
//! `RAYON_NUM_THREADS` says otherwise); the two domains' passes run on the trainer's own two
//! threads besides (docs/performance.md).

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use burn::module::{AutodiffModule, ModuleDisplay};
use burn::tensor::Tensor;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{
    DigitBatcher, DigitDataset, DomainBatch, FlatDigitBatcher, Label, SampleBatcher, SampleDataset,
};
use shiftkit::nn::{CnnEncoderConfig, DropoutMasks, MlpEncoderConfig, ResNetConfig, host_backend};
use shiftkit::prelude::{DannConfig, DannTrainer, Encoder};

/// Training allocates and frees many buffers of the same large sizes every step; the system
/// allocator returns them to the OS and page-faults them back (14% of the step in a profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 64;

/// `n` values in [0, 1) and `n` more draws, seeded.
fn uniform(n: usize, seed: u64) -> (Vec<f32>, impl FnMut() -> u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let values = (0..n)
        .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32)
        .collect();
    (values, next)
}

/// A dataset of `n` random digits (values in [0, 1), labels 0..9), seeded.
fn random_digits(n: usize, seed: u64) -> DigitDataset {
    let (pixels, mut next) = uniform(n * 784, seed);
    let labels = (0..n).map(|_| (next() % 10) as u8).collect();
    DigitDataset::new(pixels, labels).expect("well-formed digits")
}

/// The data of one model's steps: a source and a target batch's worth of items.
struct StepData<Ds, Bt> {
    source: Ds,
    target: Ds,
    batcher: Bt,
    batch: usize,
}

fn bench_backend<B, M, const D: usize, I, Ds, Bt>(
    c: &mut Criterion,
    backend: &str,
    model_name: &str,
    make_model: impl Fn(&B::Device) -> M,
    data: StepData<Ds, Bt>,
    methods: &[&str],
) where
    B: TrainingBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
    I: Send + Sync + Clone + std::fmt::Debug + 'static,
    Ds: Dataset<I> + Clone + 'static,
    Bt: Batcher<B, I, DomainBatch<B, D>> + Clone + 'static,
{
    let device = B::Device::default();
    let StepData {
        source,
        target,
        batcher,
        batch,
    } = data;
    let loader = |data: &Ds| -> Arc<dyn DataLoader<B, DomainBatch<B, D>>> {
        DataLoaderBuilder::new(batcher.clone())
            .batch_size(batch)
            .build(data.clone())
    };
    let batch_of = |data: &Ds| -> DomainBatch<B, D> {
        let items = (0..batch).filter_map(|i| data.get(i)).collect();
        batcher.batch(items, &device)
    };
    let source_batch = batch_of(&source);
    let target_batch = batch_of(&target);
    let mut group = c.benchmark_group(format!("dann_step/{backend}"));
    group.sample_size(if model_name == "mlp" { 30 } else { 10 });
    // Joint encoding (one pass over [x_s; x_t]) computes the same step for an encoder without
    // batch norm: measured for the MLP only.
    // The default step differentiates the two domains' encoder passes on two threads (on the
    // host-memory backends; elsewhere it is the one-thread step); the `_serial` variants keep
    // the whole backward pass on one, and are measured where the two differ.
    let wanted = methods;
    let mut methods = vec![("dann", 0.0, false, true), ("dann_mstn", 0.5, false, true)];
    if host_backend::<B::InnerBackend>(&device) {
        methods.push(("dann_serial", 0.0, false, false));
        methods.push(("dann_mstn_serial", 0.5, false, false));
    }
    if model_name == "mlp" {
        methods.push(("dann_joint", 0.0, true, false));
    }
    methods.retain(|(method, ..)| wanted.contains(method));
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

fn digits<Bt>(batcher: Bt) -> StepData<DigitDataset, Bt> {
    StepData {
        source: random_digits(BATCH, 1),
        target: random_digits(BATCH, 2),
        batcher,
        batch: BATCH,
    }
}

/// `n` random RGB images of `side x side` (values in [0, 1), classes 0..9), seeded.
fn random_images(n: usize, side: usize, seed: u64) -> SampleDataset {
    let (values, mut next) = uniform(n * 3 * side * side, seed);
    let labels = (0..n).map(|_| Label::Class((next() % 10) as u32)).collect();
    SampleDataset::from_values(values, vec![3, side, side], labels, None).expect("images")
}

fn bench_models<B>(c: &mut Criterion, backend: &str)
where
    B: TrainingBackend,
{
    let both = [
        "dann",
        "dann_mstn",
        "dann_serial",
        "dann_mstn_serial",
        "dann_joint",
    ];
    bench_backend::<B, _, 2, _, _, _>(
        c,
        backend,
        "mlp",
        |device| MlpEncoderConfig::new().init(device).expect("valid MLP"),
        digits(FlatDigitBatcher),
        &both,
    );
    bench_backend::<B, _, 4, _, _, _>(
        c,
        backend,
        "cnn",
        |device| CnnEncoderConfig::new().init(device).expect("valid CNN"),
        digits(DigitBatcher),
        &both,
    );
}

/// ResNet-18 at 112x112, batches of 32 + 32.
fn bench_resnet<B: TrainingBackend>(c: &mut Criterion, backend: &str) {
    const SIDE: usize = 112;
    const RESNET_BATCH: usize = 32;
    let (source, target) = (
        random_images(RESNET_BATCH, SIDE, 3),
        random_images(RESNET_BATCH, SIDE, 4),
    );
    let batcher = SampleBatcher::new(source.shape());
    // The whole network trained, and its backbone frozen (the bottleneck and the head alone).
    for (name, frozen) in [("resnet18", false), ("resnet18_frozen", true)] {
        bench_backend::<B, _, 4, _, _, _>(
            c,
            backend,
            name,
            |device| {
                let model = ResNetConfig::resnet18()
                    .with_image_size([SIDE, SIDE])
                    .init(device)
                    .expect("valid ResNet-18");
                if frozen {
                    model.with_frozen_backbone()
                } else {
                    model
                }
            },
            StepData {
                source: source.clone(),
                target: target.clone(),
                batcher: batcher.clone(),
                batch: RESNET_BATCH,
            },
            &["dann"],
        );
    }
}

fn bench(c: &mut Criterion) {
    // `SHIFTKIT_BENCH_CPU=0` skips the CPU backends (for a GPU machine's short session).
    if std::env::var("SHIFTKIT_BENCH_CPU").as_deref() == Ok("0") {
        #[cfg(feature = "cuda")]
        {
            bench_models::<shiftkit::backend::Cuda>(c, "cuda");
            bench_resnet::<shiftkit::backend::Cuda>(c, "cuda");
        }
        return;
    }
    bench_models::<shiftkit::backend::NdArray>(c, "ndarray");
    bench_models::<shiftkit::backend::Cpu>(c, "flex");
    bench_resnet::<shiftkit::backend::Cpu>(c, "flex");
    #[cfg(feature = "cuda")]
    {
        bench_models::<shiftkit::backend::Cuda>(c, "cuda");
        bench_resnet::<shiftkit::backend::Cuda>(c, "cuda");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
