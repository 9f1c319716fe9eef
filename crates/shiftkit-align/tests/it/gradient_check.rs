//! The loss's gradient with respect to the source features, checked in f64 against central
//! finite differences and against the analytic derivative:
//!
//! ```text
//! L = 1/|Q| sum_{k in Q} ||s_k - c_k||^2 / d,     s_k = 1/n_k sum_{i: y_i = k} z_i
//! dL/dz_i = 2 (s_{y_i} - c_{y_i}) / (d |Q| n_{y_i})   if y_i in Q, else 0
//! ```
//!
//! The target centroids `c_k` are constants (detached), so finite differences on the plain
//! backend see exactly the same function.

use crate::common;

use burn::tensor::Tensor;
use common::{
    Ad, Inner, assert_close, finite_differences, host_mean, labels, matrix, to_vec, values,
};
use shiftkit_align::{CentroidAligner, CentroidAlignerConfig, CentroidRecord};

const K: usize = 4;
const D: usize = 3;
const N: usize = 7;
/// Class 3 is in the source batch but never seen in the target: it must get no gradient.
const SOURCE_LABELS: [i64; N] = [0, 1, 0, 2, 3, 1, 0];

/// A record after two target batches that saw classes 0 and 1, so that the check step blends
/// classes 0 and 1 and sights class 2 for the first time.
fn warmed_record() -> CentroidRecord {
    let mut aligner = CentroidAlignerConfig::new(K, D)
        .with_momentum(0.3)
        .init::<Inner>(&Default::default())
        .unwrap();
    for (seed, pseudo) in [(31, [0i64, 1, 1, 0, 0]), (32, [1, 0, 0, 0, 1])] {
        let z = matrix::<Inner>(&values(5 * D, seed), 5, D);
        aligner
            .step(
                &matrix(&values(2 * D, 99), 2, D),
                &labels(&[0, 1]),
                &z,
                &labels(&pseudo),
            )
            .unwrap();
    }
    aligner.to_record()
}

fn target() -> (Vec<f64>, Vec<i64>) {
    (values(6 * D, 41), vec![2, 0, 1, 1, 2, 0])
}

/// The loss of the check step from the warmed state, on any backend.
fn loss<B: burn::tensor::backend::Backend>(source: Tensor<B, 2>) -> Tensor<B, 1> {
    let mut aligner =
        CentroidAligner::<B>::from_record(&warmed_record(), &Default::default()).unwrap();
    let (t, pseudo) = target();
    aligner
        .step(
            &source,
            &labels(&SOURCE_LABELS),
            &matrix(&t, 6, D),
            &labels(&pseudo),
        )
        .unwrap()
}

#[test]
fn loss_gradient_matches_finite_differences() {
    let x = values(N * D, 7);
    let fd = finite_differences(|s| to_vec(loss::<Inner>(s))[0], &x, N, D);
    assert!(fd.iter().any(|g| g.abs() > 1e-3), "reference is all ~0");

    let input = matrix::<Ad>(&x, N, D).require_grad();
    let grads = loss(input.clone()).backward();
    let got = to_vec(input.grad(&grads).unwrap());
    assert_close(&got, &fd, 1e-6, "autodiff vs finite differences");
}

#[test]
fn loss_gradient_matches_the_analytic_derivative() {
    let x = values(N * D, 8);
    let input = matrix::<Ad>(&x, N, D).require_grad();
    let grads = loss(input.clone()).backward();
    let got = to_vec(input.grad(&grads).unwrap());

    // The centroids used by the loss: the state after the check step.
    let mut aligner =
        CentroidAligner::<Inner>::from_record(&warmed_record(), &Default::default()).unwrap();
    let (t, pseudo) = target();
    aligner
        .step(
            &matrix(&x, N, D),
            &labels(&SOURCE_LABELS),
            &matrix(&t, 6, D),
            &labels(&pseudo),
        )
        .unwrap();
    let c = to_vec(aligner.state().centroids().clone());
    let q = [0i64, 1, 2]; // present in the source and seen in the target; 3 is not seen
    let mut expected = vec![0.0; N * D];
    for (i, &y) in SOURCE_LABELS.iter().enumerate() {
        if !q.contains(&y) {
            continue;
        }
        let n_k = SOURCE_LABELS.iter().filter(|&&l| l == y).count() as f64;
        let s = host_mean(&x, &SOURCE_LABELS, D, y).unwrap();
        for j in 0..D {
            let ck = c[y as usize * D + j];
            expected[i * D + j] = 2.0 * (s[j] - ck) / (D as f64 * q.len() as f64 * n_k);
        }
    }
    assert_close(&got, &expected, 1e-12, "autodiff vs analytic");
    // The unseen class's row gets exactly zero.
    assert!(got[4 * D..5 * D].iter().all(|g| *g == 0.0));
}

#[test]
fn target_features_get_no_gradient() {
    let aligner_record = warmed_record();
    let mut aligner =
        CentroidAligner::<Ad>::from_record(&aligner_record, &Default::default()).unwrap();
    let (t, pseudo) = target();
    let target = matrix::<Ad>(&t, 6, D).require_grad();
    let source = matrix::<Ad>(&values(N * D, 9), N, D).require_grad();
    let loss = aligner
        .step(&source, &labels(&SOURCE_LABELS), &target, &labels(&pseudo))
        .unwrap();
    let grads = loss.backward();
    assert!(target.grad(&grads).is_none());
    assert!(source.grad(&grads).is_some());
    assert!(!aligner.state().centroids().is_require_grad());
}
