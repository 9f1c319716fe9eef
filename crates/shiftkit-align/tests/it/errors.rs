//! Every bad hyper-parameter and every bad input is its own `AlignError` variant, and a failed
//! step leaves the state untouched.

use crate::common;

use burn::tensor::{Int, Tensor};
use common::{Inner, labels, matrix, seen, to_vec, values};
use shiftkit_align::{
    AlignError, CentroidAligner, CentroidAlignerConfig, CentroidRecord, Domain, class_means,
};

fn init(k: usize, d: usize, momentum: f64) -> Result<CentroidAligner<Inner>, AlignError> {
    CentroidAlignerConfig::new(k, d)
        .with_momentum(momentum)
        .init(&Default::default())
}

#[test]
fn fewer_than_two_classes() {
    for k in [0, 1] {
        assert!(matches!(init(k, 4, 0.1), Err(AlignError::TooFewClasses(got)) if got == k));
    }
    assert!(init(2, 4, 0.1).is_ok());
}

#[test]
fn zero_latent_dim() {
    assert!(matches!(
        init(3, 0, 0.1),
        Err(AlignError::InvalidLatentDim(0))
    ));
}

#[test]
fn momentum_outside_zero_one() {
    for beta in [0.0, -0.1, 1.0 + 1e-12, 2.0, f64::NAN, f64::INFINITY] {
        let result = init(3, 4, beta);
        assert!(
            matches!(result, Err(AlignError::InvalidMomentum(got)) if got.to_bits() == beta.to_bits()),
            "beta = {beta}"
        );
    }
    for beta in [1e-9, 0.1, 1.0] {
        assert!(init(3, 4, beta).is_ok(), "beta = {beta}");
    }
}

fn fresh() -> CentroidAligner<Inner> {
    init(3, 2, 0.1).unwrap()
}

/// The error of a step that a [`fresh`] aligner must refuse, after checking that the refusal
/// left it as it was: the same record, no class seen.
#[track_caller]
fn refused(
    step: impl FnOnce(&mut CentroidAligner<Inner>) -> Result<Tensor<Inner, 1>, AlignError>,
) -> AlignError {
    let mut a = fresh();
    let before = a.to_record();
    let error = step(&mut a).expect_err("the step is refused");
    assert_eq!(a.to_record(), before, "a refused step changed the state");
    assert_eq!(seen(&a), vec![false; 3]);
    error
}

/// Each side of a step in turn given the `bad` features and labels, the other side the `good`
/// ones: the source side through `step`, the target side through `step_trusted_labels` (which
/// checks shapes only). The error of each, refused by a fresh aligner, with the bad side.
#[track_caller]
fn refused_on_each_side(
    (x, y): (&Tensor<Inner, 2>, &Tensor<Inner, 1, Int>),
    (bad_x, bad_y): (&Tensor<Inner, 2>, &Tensor<Inner, 1, Int>),
) -> [(Domain, AlignError); 2] {
    [
        (Domain::Source, refused(|a| a.step(bad_x, bad_y, x, y))),
        (
            Domain::Target,
            refused(|a| a.step_trusted_labels(x, y, bad_x, bad_y)),
        ),
    ]
}

/// Three rows of width 2 from `seed`, one per class.
fn batch(seed: u64) -> (Tensor<Inner, 2>, Tensor<Inner, 1, Int>) {
    (matrix(&values(6, seed), 3, 2), labels(&[0, 1, 2]))
}

#[test]
fn labels_outside_the_class_range() {
    let (x, good) = batch(1);
    for (bad, label) in [([0i64, 3, 1], 3), ([-1, 0, 1], -1), ([2, 2, 9], 9)] {
        let bad = labels(&bad);
        for (domain, error) in [
            (Domain::Source, refused(|a| a.step(&x, &bad, &x, &good))),
            (Domain::Target, refused(|a| a.step(&x, &good, &x, &bad))),
        ] {
            assert!(
                matches!(
                    error,
                    AlignError::LabelOutOfRange { domain: d, label: l, num_classes: 3 }
                        if d == domain && l == label
                ),
                "{domain:?}: {error:?}"
            );
        }
    }
}

#[test]
fn features_of_the_wrong_width() {
    let (good, y) = batch(2);
    let wide = matrix::<Inner>(&values(9, 3), 3, 3);
    for (domain, error) in refused_on_each_side((&good, &y), (&wide, &y)) {
        assert!(
            matches!(
                error,
                AlignError::FeatureWidth { domain: d, expected: 2, actual: 3 } if d == domain
            ),
            "{domain:?}: {error:?}"
        );
    }
}

#[test]
fn mismatched_batch_lengths() {
    let (x, y) = batch(4);
    let short = labels::<Inner>(&[0, 1]);
    for (domain, error) in refused_on_each_side((&x, &y), (&x, &short)) {
        assert!(
            matches!(
                error,
                AlignError::BatchLength { domain: Some(d), features: 3, labels: 2 } if d == domain
            ),
            "{domain:?}: {error:?}"
        );
    }
    assert!(matches!(
        class_means(x, short, 3),
        Err(AlignError::BatchLength {
            domain: None,
            features: 3,
            labels: 2
        })
    ));
}

#[test]
fn a_failed_step_leaves_the_state_untouched() {
    let mut a = fresh();
    let (x, y) = batch(5);
    a.step(&x, &y, &x, &y).unwrap();
    let before = a.to_record();
    let other = matrix::<Inner>(&values(6, 6), 3, 2);
    assert!(a.step(&x, &y, &other, &labels(&[0, 1, 5])).is_err());
    assert_eq!(a.to_record(), before);
    assert_eq!(to_vec(a.state().centroids().clone()), before.centroids);
}

#[test]
fn bad_records() {
    let good = fresh().to_record();
    let device = Default::default();
    let restore = |r: &CentroidRecord| CentroidAligner::<Inner>::from_record(r, &device);
    assert!(restore(&good).is_ok());

    let r = CentroidRecord {
        num_classes: 1,
        ..good.clone()
    };
    assert!(matches!(restore(&r), Err(AlignError::TooFewClasses(1))));
    let r = CentroidRecord {
        momentum: 0.0,
        ..good.clone()
    };
    assert!(matches!(restore(&r), Err(AlignError::InvalidMomentum(_))));
    let r = CentroidRecord {
        latent_dim: 0,
        ..good.clone()
    };
    assert!(matches!(restore(&r), Err(AlignError::InvalidLatentDim(0))));
    let r = CentroidRecord {
        centroids: vec![0.0; 5],
        ..good.clone()
    };
    assert!(matches!(
        restore(&r),
        Err(AlignError::RecordLength {
            field: "centroids",
            expected: 6,
            actual: 5
        })
    ));
    let r = CentroidRecord {
        seen: vec![true; 4],
        ..good.clone()
    };
    assert!(matches!(
        restore(&r),
        Err(AlignError::RecordLength {
            field: "seen",
            expected: 3,
            actual: 4
        })
    ));
    // Sizes whose product overflows: a length error, not an overflow.
    let r = CentroidRecord {
        latent_dim: 1 << 63,
        ..good.clone()
    };
    assert!(matches!(
        restore(&r),
        Err(AlignError::RecordLength {
            field: "centroids",
            expected: usize::MAX,
            actual: 6
        })
    ));
}
