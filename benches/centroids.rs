#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! Per-class mean features, as the aligner computes them (one one-hot matrix product, see
//! `shiftkit_align::class_means`), against a straightforward loop that builds one masked mean
//! per class.
//!
//! Both run on `NdArray<f32>`, take the same features and labels (fixed seed, labels spread
//! over all classes), and read their result back to the host so the timer covers the whole
//! computation. The interesting number is the ratio `loop / batched` per shape.

use std::hint::black_box;
use std::time::Duration;

use burn::backend::NdArray;
use burn::tensor::{Int, Tensor, TensorData};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use shiftkit_align::class_means;

type B = NdArray<f32>;

const BATCHES: [usize; 3] = [64, 256, 1024];
const LATENTS: [usize; 2] = [128, 512];
const CLASSES: [usize; 2] = [10, 100];

/// A deterministic stream of pseudo-random `u64` (an LCG, fixed seed).
fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 11
    }
}

fn inputs(n: usize, d: usize, k: usize) -> (Tensor<B, 2>, Tensor<B, 1, Int>) {
    let device = Default::default();
    let mut next = lcg((n * 1_000_003 + d * 1_009 + k) as u64);
    let x: Vec<f32> = (0..n * d)
        .map(|_| (next() as f64 / (1u64 << 53) as f64) as f32 * 2.0 - 1.0)
        .collect();
    let y: Vec<i64> = (0..n).map(|_| (next() % k as u64) as i64).collect();
    (
        Tensor::from_data(TensorData::new(x, [n, d]), &device),
        Tensor::from_data(TensorData::new(y, [n]), &device),
    )
}

/// The baseline: for each class, mask the batch, sum, divide by the count.
fn loop_class_means(
    features: &Tensor<B, 2>,
    labels: &Tensor<B, 1, Int>,
    k: usize,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let [n, _] = features.dims();
    let mut means = Vec::with_capacity(k);
    let mut counts = Vec::with_capacity(k);
    for class in 0..k {
        let mask = labels
            .clone()
            .equal_elem(class as i64)
            .float()
            .reshape([n, 1]);
        let count = mask.clone().sum().reshape([1, 1]);
        let sum = (features.clone() * mask).sum_dim(0);
        means.push(sum / count.clone().clamp_min(1.0));
        counts.push(count);
    }
    (Tensor::cat(means, 0), Tensor::cat(counts, 0))
}

fn batched(features: &Tensor<B, 2>, labels: &Tensor<B, 1, Int>, k: usize) -> TensorData {
    class_means(features.clone(), labels.clone(), k)
        .expect("shapes agree")
        .means
        .into_data()
}

fn looped(features: &Tensor<B, 2>, labels: &Tensor<B, 1, Int>, k: usize) -> TensorData {
    loop_class_means(features, labels, k).0.into_data()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("class_means");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    for n in BATCHES {
        for d in LATENTS {
            for k in CLASSES {
                let (x, y) = inputs(n, d, k);
                // Both compute the same thing.
                let a = batched(&x, &y, k).to_vec::<f32>().expect("f32");
                let b = looped(&x, &y, k).to_vec::<f32>().expect("f32");
                assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() <= 1e-4));

                group.throughput(Throughput::Elements((n * d) as u64));
                let id = format!("n{n}_d{d}_k{k}");
                group.bench_with_input(BenchmarkId::new("batched", &id), &(), |bench, _| {
                    bench.iter(|| batched(black_box(&x), black_box(&y), k))
                });
                group.bench_with_input(BenchmarkId::new("loop", &id), &(), |bench, _| {
                    bench.iter(|| looped(black_box(&x), black_box(&y), k))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
