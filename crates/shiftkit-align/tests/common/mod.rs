//! Shared helpers of the test suite: deterministic f64 data, tensor builders, central finite
//! differences.
#![allow(dead_code)]

use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Int, Tensor, TensorData};
use shiftkit_align::{CentroidAligner, CentroidAlignerConfig, CentroidRecord};

/// The plain f64 backend.
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
pub fn matrix<B: Backend>(data: &[f64], rows: usize, cols: usize) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [rows, cols]),
        &Default::default(),
    )
}

/// An integer label vector.
pub fn labels<B: Backend>(data: &[i64]) -> Tensor<B, 1, Int> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [data.len()]),
        &Default::default(),
    )
}

/// The values of a tensor as f64.
pub fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// The seen flags of a state.
pub fn seen<B: Backend>(aligner: &CentroidAligner<B>) -> Vec<bool> {
    aligner
        .state()
        .seen()
        .clone()
        .int()
        .into_data()
        .iter::<i64>()
        .map(|v| v != 0)
        .collect()
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
            "{what}: coordinate {i}: got {a}, expected {e}"
        );
    }
}

/// Host reference: the mean of the rows of `x` (`[n, d]`) labelled `k`, if any.
pub fn host_mean(x: &[f64], y: &[i64], d: usize, k: i64) -> Option<Vec<f64>> {
    let rows: Vec<&[f64]> = x
        .chunks(d)
        .zip(y)
        .filter(|(_, l)| **l == k)
        .map(|(r, _)| r)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let n = rows.len() as f64;
    Some(
        (0..d)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect(),
    )
}

/// The bits of the centroids, widened to f64 (exact).
pub fn bits<B: Backend>(a: &CentroidAligner<B>) -> Vec<u64> {
    a.state()
        .centroids()
        .to_data()
        .iter::<f64>()
        .map(f64::to_bits)
        .collect()
}

/// An aligner with some classes seen and some not, after a few steps.
pub fn trained<B: Backend>() -> CentroidAligner<B> {
    let (k, d) = (5, 7);
    let mut a = CentroidAlignerConfig::new(k, d)
        .with_momentum(0.37)
        .init::<B>(&Default::default())
        .unwrap();
    for (seed, pseudo) in [(1, [0i64, 1, 1, 3]), (2, [3, 3, 0, 1]), (3, [1, 0, 0, 0])] {
        a.step(
            &matrix(&values(3 * d, seed + 10), 3, d),
            &labels(&[0, 1, 2]),
            &matrix(&values(4 * d, seed), 4, d),
            &labels(&pseudo),
        )
        .unwrap();
    }
    a
}

/// Save and restore through serde_json on backend `B`, checked bit for bit, and a further
/// step on both copies; returns the float type the state was stored in.
pub fn round_trip<B: Backend>() -> DType {
    let original = trained::<B>();
    let record = original.to_record();
    let json = serde_json::to_string(&record).unwrap();
    let decoded: CentroidRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(decoded, record);
    assert!(
        decoded
            .centroids
            .iter()
            .zip(&record.centroids)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );

    let mut restored = CentroidAligner::<B>::from_record(&decoded, &Default::default()).unwrap();
    assert_eq!(bits(&restored), bits(&original));
    assert_eq!(seen(&restored), seen(&original));
    assert_eq!(seen(&restored), vec![true, true, false, true, false]);
    assert_eq!(restored.momentum().to_bits(), original.momentum().to_bits());
    assert_eq!(restored.to_record(), record);

    // Both continue identically.
    let mut original = original;
    let d = 7;
    for a in [&mut original, &mut restored] {
        a.step(
            &matrix(&values(2 * d, 50), 2, d),
            &labels(&[2, 4]),
            &matrix(&values(3 * d, 51), 3, d),
            &labels(&[2, 4, 0]),
        )
        .unwrap();
    }
    assert_eq!(bits(&restored), bits(&original));
    assert_eq!(seen(&restored), vec![true; 5]);
    restored.state().centroids().dtype()
}
