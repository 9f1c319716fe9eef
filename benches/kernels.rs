#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! The CPU kernels at the reference networks' sizes (batch 64 of 28x28 digits): the first
//! convolution by im2col and one product, the second by Winograd's F(2x2, 3x3), the fused
//! batch norm, ReLU and pooling backward, and Adam's update over the MLP's 584,075
//! parameters. `cargo bench -p shiftkit-kernels`, filtered as usual (`-- winograd`).

use criterion::{Criterion, criterion_group, criterion_main};
use shiftkit_kernels::adam::{AdamStep, adam_update};
use shiftkit_kernels::lowered::{ConvShape, conv_3x3, im2col_3x3};
use shiftkit_kernels::planes::Planes;
use shiftkit_kernels::winograd;
use shiftkit_testkit::values_f32 as values;

fn kernels(c: &mut Criterion) {
    // The CNN's first block: 1 -> 32 channels on 64 images of 28x28.
    let first = Planes::from_dims([1, 64, 28, 28]);
    let image = values(first.len(), 1);
    let shape = ConvShape {
        input: first,
        out_channels: 32,
    };
    let weight = values(32 * 9, 2);
    let bias = values(32, 3);
    c.bench_function("im2col conv 1->32, 64x28x28", |b| {
        b.iter(|| conv_3x3(&im2col_3x3(&image, first), &weight, &bias, shape))
    });
    // The second block: 32 -> 64 channels on the pooled 14x14 maps.
    let second = Planes::from_dims([32, 64, 14, 14]);
    let maps = values(second.len(), 4);
    let weight = values(64 * 32 * 9, 5);
    let bias = values(64, 6);
    c.bench_function("winograd conv 32->64, 64x14x14", |b| {
        b.iter(|| winograd::conv_3x3(&maps, &weight, Some(&bias), second, 64))
    });
    // Adam over the MLP's parameters.
    let n = 584_075;
    let (mut p, g, mut m, mut v) = (values(n, 7), values(n, 8), vec![0.0; n], vec![0.0; n]);
    let step = AdamStep {
        beta_1: 0.9,
        beta_2: 0.999,
        step_size: 1e-3,
        inv_correction: 1.0,
        epsilon: 1e-8,
        decay: 1.0,
    };
    c.bench_function("adam update, 584,075 parameters", |b| {
        b.iter(|| adam_update(&step, &mut p, &g, &mut m, &mut v))
    });
}

criterion_group!(benches, kernels);
criterion_main!(benches);
