//! MSTN's confidence filter on pseudo-labels: target samples predicted with less than
//! `pseudo_label_confidence` stay out of the target centroids.

use crate::common;

use common::{Trainer, moons, moons_trainer, serial};
use shiftkit_train::DannConfig;

fn mstn(confidence: f64) -> DannConfig {
    DannConfig::new()
        .with_semantic_weight(0.5)
        .with_pseudo_label_confidence(confidence)
}

/// Which classes have a target centroid.
fn seen_classes(trainer: &Trainer) -> Vec<bool> {
    trainer
        .aligner()
        .unwrap()
        .state()
        .seen()
        .clone()
        .into_data()
        .to_vec()
        .unwrap()
}

#[test]
fn a_confidence_no_prediction_reaches_keeps_every_target_sample_out() {
    let _guard = serial();
    let pair = moons(5);
    let mut trainer = moons_trainer(&pair, mstn(0.999_999), 5);
    let history = trainer.fit(1).unwrap();
    let seen = seen_classes(&trainer);
    assert_eq!(seen, vec![false, false], "a target centroid was set");
    assert_eq!(history[0].loss("semantic"), 0.0);

    // Without the filter, the same run sets both centroids and has an alignment loss.
    let mut trainer = moons_trainer(&pair, mstn(0.0), 5);
    let history = trainer.fit(1).unwrap();
    let seen = seen_classes(&trainer);
    assert_eq!(seen, vec![true, true]);
    assert!(history[0].loss("semantic") > 0.0);
}

#[test]
fn with_two_classes_a_confidence_of_one_half_filters_nothing() {
    // The larger of two softmax probabilities is at least 0.5: the filter keeps every sample,
    // so the run is the unfiltered one, bit for bit.
    let _guard = serial();
    let pair = moons(6);
    let filtered = moons_trainer(&pair, mstn(0.5), 6).fit(2).unwrap();
    let unfiltered = moons_trainer(&pair, mstn(0.0), 6).fit(2).unwrap();
    let losses = |h: &[shiftkit_train::EpochRecord]| -> Vec<(f64, f64)> {
        h.iter()
            .map(|r| (r.loss("semantic"), r.total_loss))
            .collect()
    };
    assert_eq!(losses(&filtered), losses(&unfiltered));
}
