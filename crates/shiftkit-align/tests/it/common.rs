//! Shared helpers of the test suite: the f64 backends, centroid read-outs and a trained
//! aligner; the data, tensor and finite-difference helpers are the workspace's (`shiftkit-testkit`).
#![allow(dead_code)]

use burn::backend::{Autodiff, NdArray};
use burn::tensor::DType;
use burn::tensor::backend::Backend;
use shiftkit_align::{CentroidAligner, CentroidAlignerConfig, CentroidRecord};

pub use shiftkit_testkit::{assert_close, finite_differences, labels, matrix, to_vec, values};

/// The plain f64 backend.
pub type Inner = NdArray<f64>;
/// The autodiff backend under test.
pub type Ad = Autodiff<Inner>;

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

/// One step of `aligner` on host batches, each given as its rows (as wide as the aligner's
/// features, one after the other) and their labels; the loss.
pub fn step_on<B: Backend>(
    aligner: &mut CentroidAligner<B>,
    (source, source_labels): (&[f64], &[i64]),
    (target, target_labels): (&[f64], &[i64]),
) -> Vec<f64> {
    let d = aligner.latent_dim();
    let loss = aligner
        .step(
            &matrix(source, source.len() / d, d),
            &labels(source_labels),
            &matrix(target, target.len() / d, d),
            &labels(target_labels),
        )
        .unwrap();
    to_vec(loss)
}

/// An aligner with some classes seen and some not, after a few steps.
pub fn trained<B: Backend>() -> CentroidAligner<B> {
    let (k, d) = (5, 7);
    let mut a = CentroidAlignerConfig::new(k, d)
        .with_momentum(0.37)
        .init::<B>(&Default::default())
        .unwrap();
    for (seed, pseudo) in [(1, [0i64, 1, 1, 3]), (2, [3, 3, 0, 1]), (3, [1, 0, 0, 0])] {
        step_on(
            &mut a,
            (&values(3 * d, seed + 10), &[0, 1, 2]),
            (&values(4 * d, seed), &pseudo),
        );
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
        step_on(
            a,
            (&values(2 * d, 50), &[2, 4]),
            (&values(3 * d, 51), &[2, 4, 0]),
        );
    }
    assert_eq!(bits(&restored), bits(&original));
    assert_eq!(seen(&restored), vec![true; 5]);
    restored.state().centroids().dtype()
}
