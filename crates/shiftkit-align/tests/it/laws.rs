//! Property tests of the moving average and the hyper-parameter checks.

use crate::common;

use common::{Inner, host_mean, labels, matrix, seen, to_vec};
use proptest::prelude::*;
use shiftkit_align::{AlignError, CentroidAlignerConfig};

const K: usize = 3;
const D: usize = 2;

/// A target batch: 1 to 8 rows of D values, each with a label in [0, K).
fn batch() -> impl Strategy<Value = (Vec<f64>, Vec<i64>)> {
    (1usize..=8).prop_flat_map(|n| {
        (
            prop::collection::vec(-100.0f64..100.0, n * D),
            prop::collection::vec(0i64..K as i64, n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every EMA centroid lies inside the bounding box of the batch means it has averaged
    /// (up to a few ulps of rounding), and a class is seen exactly when some batch held it.
    #[test]
    fn ema_centroids_stay_inside_the_box_of_their_batch_means(
        batches in prop::collection::vec(batch(), 1..=6),
        momentum in prop_oneof![1e-3f64..=1.0, Just(1.0)],
    ) {
        let mut aligner = CentroidAlignerConfig::new(K, D)
            .with_momentum(momentum)
            .init::<Inner>(&Default::default())
            .unwrap();
        // Per class and coordinate: (min, max) over the batch means averaged so far.
        let mut boxes: Vec<Option<Vec<(f64, f64)>>> = vec![None; K];
        let source = matrix::<Inner>(&[0.0; 2 * D], 2, D);
        let source_y = labels::<Inner>(&[0, 1]);
        for (x, y) in &batches {
            aligner
                .step(&source, &source_y, &matrix(x, y.len(), D), &labels(y))
                .unwrap();
            for (k, bounds) in boxes.iter_mut().enumerate() {
                if let Some(mean) = host_mean(x, y, D, k as i64) {
                    let b = bounds.get_or_insert_with(|| mean.iter().map(|m| (*m, *m)).collect());
                    for (bj, m) in b.iter_mut().zip(&mean) {
                        *bj = (bj.0.min(*m), bj.1.max(*m));
                    }
                }
            }
            let c = to_vec(aligner.state().centroids().clone());
            let flags = seen(&aligner);
            for (k, bounds) in boxes.iter().enumerate() {
                prop_assert_eq!(flags[k], bounds.is_some());
                let Some(bounds) = bounds else { continue };
                for (j, (lo, hi)) in bounds.iter().enumerate() {
                    let v = c[k * D + j];
                    let slack = 4.0 * f64::EPSILON * lo.abs().max(hi.abs());
                    prop_assert!(
                        *lo - slack <= v && v <= *hi + slack,
                        "class {} coordinate {}: {} outside [{}, {}]", k, j, v, lo, hi
                    );
                }
            }
        }
    }

    /// Any momentum outside (0, 1] is rejected, carrying the value.
    #[test]
    fn momentum_outside_the_unit_interval_is_an_error(
        momentum in prop_oneof![-1e6f64..=0.0, 1.0f64..1e6],
    ) {
        prop_assume!(momentum != 1.0);
        let result = CentroidAlignerConfig::new(K, D)
            .with_momentum(momentum)
            .init::<Inner>(&Default::default());
        prop_assert!(matches!(result, Err(AlignError::InvalidMomentum(m)) if m == momentum));
    }

    /// Any momentum inside (0, 1] and any K >= 2, d >= 1 are accepted; K < 2 never is.
    #[test]
    fn class_counts_and_momenta_are_checked(
        k in 0usize..40,
        d in 1usize..40,
        momentum in prop_oneof![1e-12f64..=1.0, Just(1.0)],
    ) {
        let result = CentroidAlignerConfig::new(k, d)
            .with_momentum(momentum)
            .init::<Inner>(&Default::default());
        if k < 2 {
            prop_assert!(matches!(result, Err(AlignError::TooFewClasses(got)) if got == k));
        } else {
            prop_assert!(result.is_ok());
        }
    }
}
