//! Every bad hyper-parameter and every bad input is its own `AlignError` variant, and a failed
//! step leaves the state untouched.

use crate::common;

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

#[test]
fn labels_outside_the_class_range() {
    let x = matrix::<Inner>(&values(6, 1), 3, 2);
    let good = labels::<Inner>(&[0, 1, 2]);
    for (bad, label) in [([0i64, 3, 1], 3), ([-1, 0, 1], -1), ([2, 2, 9], 9)] {
        let mut a = fresh();
        let source = a.step(&x, &labels(&bad), &x, &good);
        assert!(
            matches!(
                source,
                Err(AlignError::LabelOutOfRange { domain: Domain::Source, label: l, num_classes: 3 })
                    if l == label
            ),
            "{source:?}"
        );
        let target = a.step(&x, &good, &x, &labels(&bad));
        assert!(
            matches!(
                target,
                Err(AlignError::LabelOutOfRange { domain: Domain::Target, label: l, num_classes: 3 })
                    if l == label
            ),
            "{target:?}"
        );
        // Nothing changed.
        assert_eq!(seen(&a), vec![false; 3]);
    }
}

#[test]
fn features_of_the_wrong_width() {
    let mut a = fresh();
    let good = matrix::<Inner>(&values(6, 2), 3, 2);
    let wide = matrix::<Inner>(&values(9, 3), 3, 3);
    let y = labels::<Inner>(&[0, 1, 2]);
    assert!(matches!(
        a.step(&wide, &y, &good, &y),
        Err(AlignError::FeatureWidth {
            domain: Domain::Source,
            expected: 2,
            actual: 3
        })
    ));
    assert!(matches!(
        a.step_trusted_labels(&good, &y, &wide, &y),
        Err(AlignError::FeatureWidth {
            domain: Domain::Target,
            expected: 2,
            actual: 3
        })
    ));
    assert_eq!(seen(&a), vec![false; 3]);
}

#[test]
fn mismatched_batch_lengths() {
    let mut a = fresh();
    let x = matrix::<Inner>(&values(6, 4), 3, 2);
    let y = labels::<Inner>(&[0, 1, 2]);
    let short = labels::<Inner>(&[0, 1]);
    assert!(matches!(
        a.step(&x, &short, &x, &y),
        Err(AlignError::BatchLength {
            domain: Some(Domain::Source),
            features: 3,
            labels: 2
        })
    ));
    assert!(matches!(
        a.step_trusted_labels(&x, &y, &x, &short),
        Err(AlignError::BatchLength {
            domain: Some(Domain::Target),
            features: 3,
            labels: 2
        })
    ));
    assert!(matches!(
        class_means(x, short, 3),
        Err(AlignError::BatchLength {
            domain: None,
            features: 3,
            labels: 2
        })
    ));
    assert_eq!(seen(&a), vec![false; 3]);
}

#[test]
fn a_failed_step_leaves_the_state_untouched() {
    let mut a = fresh();
    let x = matrix::<Inner>(&values(6, 5), 3, 2);
    let y = labels::<Inner>(&[0, 1, 2]);
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
}
