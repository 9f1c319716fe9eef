#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! Forward + backward through the gradient reversal, against the same graph with a plain
//! identity in its place.
//!
//! The graph is a discriminator head: `z -> op -> z W (W: [d, 16]) -> sum`, with `z` tracked.
//! The reversal's physical minimum is zero forward work and one scaling pass over the gradient
//! of `z` in the backward, so the interesting number is the ratio `grl / identity` per shape.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use shiftkit::grl::reverse_gradient;

type B = Autodiff<NdArray<f32>>;

const SHAPES: [(usize, usize); 3] = [(64, 128), (1024, 512), (8192, 1024)];
const HEAD: usize = 16;

fn step(z: &Tensor<B, 2>, w: &Tensor<B, 2>, reverse: bool) -> f32 {
    let z = z.clone().require_grad();
    let h = if reverse {
        reverse_gradient(z.clone(), 1.0).expect("alpha is finite")
    } else {
        z.clone()
    };
    let grads = h.matmul(w.clone()).sum().backward();
    // Read one value of the gradient so the work cannot be skipped.
    let g = z.grad(&grads).expect("z is tracked");
    g.slice([0..1, 0..1]).into_scalar()
}

fn bench(c: &mut Criterion) {
    let device = Default::default();
    let mut group = c.benchmark_group("grl_forward_backward");
    for (rows, cols) in SHAPES {
        let z = Tensor::<B, 2>::random([rows, cols], Distribution::Default, &device);
        let w = Tensor::<B, 2>::random([cols, HEAD], Distribution::Default, &device);
        group.throughput(Throughput::Elements((rows * cols) as u64));
        let shape = format!("{rows}x{cols}");
        group.bench_with_input(BenchmarkId::new("identity", &shape), &(), |b, _| {
            b.iter(|| step(&z, &w, false))
        });
        group.bench_with_input(BenchmarkId::new("grl", &shape), &(), |b, _| {
            b.iter(|| step(&z, &w, true))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
