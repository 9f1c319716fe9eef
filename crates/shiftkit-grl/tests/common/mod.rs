//! Shared helpers of the gradient-check suite: f64 tensors and central finite differences.
#![allow(dead_code)]

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Tensor, TensorData};

/// The inner (plain) backend: finite differences are taken here.
pub type Inner = NdArray<f64>;
/// The autodiff backend under test.
pub type Ad = Autodiff<Inner>;

/// A deterministic pseudo-random vector in [-1, 1] (an LCG, so the suite needs no RNG crate).
pub fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// A rank-2 tensor of shape `[rows, cols]` from `data`.
pub fn matrix<B: burn::tensor::backend::Backend>(
    data: &[f64],
    rows: usize,
    cols: usize,
) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [rows, cols]),
        &Default::default(),
    )
}

/// The values of a tensor as f64.
pub fn to_vec<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec::<f64>().unwrap()
}

/// Central finite differences of a scalar function of a `[rows, cols]` input:
/// `(f(x + h e_i) - f(x - h e_i)) / 2h` for every coordinate `i`.
pub fn finite_differences(
    f: impl Fn(Tensor<Inner, 2>) -> f64,
    x: &[f64],
    rows: usize,
    cols: usize,
) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let mut plus = x.to_vec();
            plus[i] += h;
            let mut minus = x.to_vec();
            minus[i] -= h;
            (f(matrix(&plus, rows, cols)) - f(matrix(&minus, rows, cols))) / (2.0 * h)
        })
        .collect()
}

/// Asserts `|a - b| <= tol * max(1, |b|)` elementwise.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let scale = e.abs().max(1.0);
        assert!(
            (a - e).abs() <= tol * scale,
            "{what}: coordinate {i}: autodiff {a} vs expected {e}"
        );
    }
}
