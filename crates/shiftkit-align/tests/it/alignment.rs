//! Behaviour of a step: the moving average, first sightings, absent classes and the loss.

use crate::common;

use common::{Ad, Inner, assert_close, host_mean, labels, matrix, seen, step_on, to_vec, values};
use shiftkit_align::{CentroidAligner, CentroidAlignerConfig, CentroidStart, class_means};

fn aligner(k: usize, d: usize, momentum: f64) -> CentroidAligner<Inner> {
    aligner_from(k, d, momentum, CentroidStart::FirstSighting)
}

fn aligner_from(k: usize, d: usize, momentum: f64, start: CentroidStart) -> CentroidAligner<Inner> {
    CentroidAlignerConfig::new(k, d)
        .with_momentum(momentum)
        .with_start(start)
        .init(&Default::default())
        .unwrap()
}

fn row(c: &[f64], d: usize, k: usize) -> Vec<f64> {
    c[k * d..(k + 1) * d].to_vec()
}

#[test]
fn config_defaults_to_a_momentum_of_one_tenth() {
    let config = CentroidAlignerConfig::new(10, 128);
    assert_eq!(config.momentum, 0.1);
    let aligner = config.init::<Inner>(&Default::default()).unwrap();
    assert_eq!(
        (
            aligner.num_classes(),
            aligner.latent_dim(),
            aligner.momentum()
        ),
        (10, 128, 0.1)
    );
    assert_eq!(seen(&aligner), vec![false; 10]);
    assert!(
        to_vec(aligner.state().centroids().clone())
            .iter()
            .all(|v| *v == 0.0)
    );
}

#[test]
fn class_means_match_a_host_reference() {
    let (n, d, k) = (9, 4, 5);
    let x = values(n * d, 1);
    let y = [0i64, 3, 3, 1, 0, 3, 4, 1, 0]; // class 2 absent
    let means = class_means::<Inner>(matrix(&x, n, d), labels(&y), k).unwrap();
    let got = to_vec(means.means);
    for c in 0..k {
        let expected = host_mean(&x, &y, d, c as i64).unwrap_or(vec![0.0; d]);
        assert_close(&row(&got, d, c), &expected, 1e-12, &format!("class {c}"));
    }
    assert_eq!(to_vec(means.counts), vec![3.0, 2.0, 0.0, 3.0, 1.0]);
}

/// The feature width of [`sight_classes_1_and_2`].
const WIDTH: usize = 4;

/// One step of `a` (three classes of width [`WIDTH`]) on a source batch of classes 0 and 1 and a
/// target batch of classes 1 and 2 only: the centroids after it, and the host mean of the
/// target rows of a class.
fn sight_classes_1_and_2(
    a: &mut CentroidAligner<Inner>,
) -> (Vec<f64>, impl Fn(usize) -> Vec<f64> + use<>) {
    let target = values(5 * WIDTH, 2);
    let pseudo = [1i64, 1, 2, 1, 2];
    step_on(a, (&values(2 * WIDTH, 3), &[0, 1]), (&target, &pseudo));
    let centroids = to_vec(a.state().centroids().clone());
    (centroids, move |class| {
        host_mean(&target, &pseudo, WIDTH, class as i64).unwrap()
    })
}

#[test]
fn first_sighting_takes_the_batch_mean_not_a_blend_with_zero() {
    let mut a = aligner(3, WIDTH, 0.1);
    let (c, target_mean) = sight_classes_1_and_2(&mut a);
    for class in [1, 2] {
        // Not 0.1 * mean: the first sighting is the batch mean itself.
        let mean = target_mean(class);
        assert_close(
            &row(&c, WIDTH, class),
            &mean,
            1e-15,
            &format!("class {class}"),
        );
    }
    assert_eq!(
        row(&c, WIDTH, 0),
        vec![0.0; WIDTH],
        "class 0 was never seen"
    );
    assert_eq!(seen(&a), vec![false, true, true]);
}

#[test]
fn seen_classes_follow_the_moving_average() {
    let (k, d, beta) = (2, 3, 0.25);
    let mut a = aligner(k, d, beta);
    let source = matrix::<Inner>(&values(2 * d, 4), 2, d);
    let source_y = labels::<Inner>(&[0, 1]);
    let first = values(2 * d, 5);
    let second = values(2 * d, 6);
    a.step(&source, &source_y, &matrix(&first, 2, d), &labels(&[0, 0]))
        .unwrap();
    a.step(&source, &source_y, &matrix(&second, 2, d), &labels(&[0, 0]))
        .unwrap();
    let m1 = host_mean(&first, &[0, 0], d, 0).unwrap();
    let m2 = host_mean(&second, &[0, 0], d, 0).unwrap();
    let expected: Vec<f64> = m1
        .iter()
        .zip(&m2)
        .map(|(c, m)| (1.0 - beta) * c + beta * m)
        .collect();
    let c = to_vec(a.state().centroids().clone());
    assert_close(&row(&c, d, 0), &expected, 1e-14, "class 0");
}

#[test]
fn classes_absent_from_a_batch_keep_their_centroids_exactly() {
    let (k, d) = (4, 3);
    let mut a = aligner(k, d, 0.5);
    let source = matrix::<Inner>(&values(4 * d, 7), 4, d);
    let source_y = labels::<Inner>(&[0, 1, 2, 3]);
    a.step(
        &source,
        &source_y,
        &matrix(&values(4 * d, 8), 4, d),
        &labels(&[0, 1, 2, 3]),
    )
    .unwrap();
    let before = to_vec(a.state().centroids().clone());
    // Only class 1 in the next target batch.
    a.step(
        &source,
        &source_y,
        &matrix(&values(2 * d, 9), 2, d),
        &labels(&[1, 1]),
    )
    .unwrap();
    let after = to_vec(a.state().centroids().clone());
    for class in [0, 2, 3] {
        let (b, n) = (row(&before, d, class), row(&after, d, class));
        assert!(
            b.iter().zip(&n).all(|(x, y)| x.to_bits() == y.to_bits()),
            "class {class} moved"
        );
    }
    assert_ne!(row(&before, d, 1), row(&after, d, 1));
    assert_eq!(seen(&a), vec![true; 4]);
}

#[test]
fn loss_is_zero_when_source_and_target_features_coincide() {
    let (k, d, n) = (5, 6, 12);
    let x = values(n * d, 10);
    let y = [0i64, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 2];
    // From a fresh state, whatever the momentum: first sightings take the batch mean.
    for beta in [0.1, 0.5, 1.0] {
        let loss = step_on(&mut aligner(k, d, beta), (&x, &y), (&x, &y));
        assert_eq!(loss, vec![0.0], "beta = {beta}");
    }
    // And at a fixed point of the average: the same batch again keeps the loss at zero.
    let mut a = aligner(k, d, 0.3);
    for _ in 0..3 {
        let loss = step_on(&mut a, (&x, &y), (&x, &y));
        assert!(loss[0].abs() < 1e-30);
    }
}

#[test]
fn loss_matches_a_hand_computation() {
    // d = 2, classes 0 and 1 in the source; target sees 0 and 2 only.
    let mut a = aligner(3, 2, 0.1);
    let source = [1.0, 2.0, 3.0, 4.0, 10.0, 0.0];
    let target = [0.0, 0.0, 5.0, 5.0];
    let loss = step_on(&mut a, (&source, &[0, 0, 1]), (&target, &[0, 2]));
    // Q = {0}: s_0 = (2, 3), c_0 = (0, 0): ||.||^2 / d = 13 / 2.
    assert_eq!(loss, vec![6.5]);
}

#[test]
fn loss_is_zero_when_no_class_qualifies() {
    let mut a = aligner(3, 2, 0.1);
    let loss = step_on(
        &mut a,
        (&[1.0, 2.0, 3.0, 4.0], &[0, 0]),
        (&[5.0, 5.0], &[1]),
    );
    assert_eq!(loss, vec![0.0]);
}

#[test]
fn empty_batches_are_handled() {
    let mut a = aligner(3, 2, 0.1);
    let empty = matrix::<Inner>(&[], 0, 2);
    let none = labels::<Inner>(&[]);
    let loss = a.step(&empty, &none, &empty, &none).unwrap();
    assert_eq!(to_vec(loss), vec![0.0]);
    assert_eq!(seen(&a), vec![false; 3]);
}

#[test]
fn trusted_labels_skip_the_check_and_ignore_out_of_range_samples() {
    let mut checked = aligner(3, 2, 0.1);
    let mut trusted = checked.clone();
    let x = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
    let target = matrix::<Inner>(&x, 3, 2);
    let source = matrix::<Inner>(&x[..4], 2, 2);
    trusted
        .step_trusted_labels(&source, &labels(&[0, 1]), &target, &labels(&[0, 1, 7]))
        .unwrap();
    checked
        .step(
            &source,
            &labels(&[0, 1]),
            &matrix(&x[..4], 2, 2),
            &labels(&[0, 1]),
        )
        .unwrap();
    assert_eq!(
        to_vec(trusted.state().centroids().clone()),
        to_vec(checked.state().centroids().clone())
    );
    assert_eq!(seen(&trusted), vec![true, true, false]);
}

#[test]
fn the_new_state_carries_no_graph() {
    let mut a = CentroidAlignerConfig::new(3, 2)
        .init::<Ad>(&Default::default())
        .unwrap();
    let source = matrix::<Ad>(&values(4, 11), 2, 2).require_grad();
    let target = matrix::<Ad>(&values(4, 12), 2, 2).require_grad();
    let loss = a
        .step(&source, &labels(&[0, 1]), &target, &labels(&[0, 1]))
        .unwrap();
    let grads = loss.backward();
    assert!(source.grad(&grads).is_some());
    assert!(target.grad(&grads).is_none());
    // Backpropagating from the stored centroids reaches nothing: they hold no graph.
    let grads = a.state().centroids().clone().sum().backward();
    assert!(target.grad(&grads).is_none());
    assert!(source.grad(&grads).is_none());
}

fn zero_start(k: usize, d: usize, momentum: f64) -> CentroidAligner<Inner> {
    aligner_from(k, d, momentum, CentroidStart::Zero)
}

#[test]
fn zero_start_blends_the_first_sighting_into_zero() {
    let mut a = zero_start(3, WIDTH, 0.1);
    let (c, target_mean) = sight_classes_1_and_2(&mut a);
    for class in [1, 2] {
        let tenth: Vec<f64> = target_mean(class).iter().map(|m| 0.1 * m).collect();
        assert_close(
            &row(&c, WIDTH, class),
            &tenth,
            1e-15,
            &format!("class {class}"),
        );
    }
    // A second sighting of the same batch blends again: 0.9 * 0.1 m + 0.1 m = 0.19 m.
    let (c, _) = sight_classes_1_and_2(&mut a);
    let expected: Vec<f64> = target_mean(1).iter().map(|m| 0.19 * m).collect();
    assert_close(&row(&c, WIDTH, 1), &expected, 1e-15, "class 1, second step");
    assert_eq!(
        row(&c, WIDTH, 0),
        vec![0.0; WIDTH],
        "class 0 was never seen"
    );
    assert_eq!(a.start(), CentroidStart::Zero);
}

#[test]
fn zero_start_loss_averages_over_every_source_class() {
    // The hand computation above, from a zero start: Q = {0, 1}, both against blended or zero
    // centroids. c_0 = 0.1 * (0, 0) = (0, 0), c_1 = (0, 0) (never seen).
    // s_0 = (2, 3): 13 / 2; s_1 = (10, 0): 100 / 2; mean over the two classes.
    let mut a = zero_start(3, 2, 0.1);
    let loss = step_on(
        &mut a,
        (&[1.0, 2.0, 3.0, 4.0, 10.0, 0.0], &[0, 0, 1]),
        (&[0.0, 0.0, 5.0, 5.0], &[0, 2]),
    );
    assert_eq!(loss, vec![(6.5 + 50.0) / 2.0]);
}
