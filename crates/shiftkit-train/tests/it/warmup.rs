//! Warmup: only the cross-entropy trains, alpha is 0, the discriminator and the alignment stay
//! as they are; the ramp starts after it.

use crate::common;
use common::serial;

use common::{assert_ramp, observed_run, parameters, seeded_trainer};
use shiftkit_train::DannConfig;

#[test]
fn warmup_trains_only_the_classifier() {
    let _serial = serial();
    let config = DannConfig::new()
        .with_warmup_epochs(2)
        .with_semantic_weight(0.5);
    let mut trainer = seeded_trainer(config, 3);
    let disc_before = parameters(trainer.discriminator());
    let model_before = parameters(trainer.model());
    let centroids_before = trainer.aligner().unwrap().to_record();

    let warm = trainer.fit(2).unwrap();
    assert_eq!(
        parameters(trainer.discriminator()),
        disc_before,
        "the discriminator trained"
    );
    assert_ne!(
        parameters(trainer.model()),
        model_before,
        "the classifier did not train"
    );
    assert_eq!(trainer.aligner().unwrap().to_record(), centroids_before);
    for record in &warm {
        assert!(record.warmup);
        assert_eq!(record.alpha, 0.0);
        assert_eq!(record.loss("domain"), 0.0);
        assert_eq!(record.loss("semantic"), 0.0);
        assert_eq!(record.total_loss, record.ce_loss);
    }

    let adapt = trainer.fit(1).unwrap();
    assert!(!adapt[0].warmup);
    assert!(adapt[0].alpha > 0.0);
    assert!(adapt[0].loss("domain") > 0.0);
    assert_ne!(
        parameters(trainer.discriminator()),
        disc_before,
        "the discriminator never trained"
    );
    assert_ne!(trainer.aligner().unwrap().to_record(), centroids_before);
}

#[test]
fn the_ramp_starts_after_warmup() {
    let _serial = serial();
    let (trainer, _, seen) = observed_run(DannConfig::new().with_warmup_epochs(1), 0, 3);
    let per_epoch = trainer.steps_per_epoch();
    let alphas = seen.alphas();
    assert!(alphas[..per_epoch].iter().all(|a| *a == 0.0));
    assert_ramp(&alphas[per_epoch..], 1.0, 2 * per_epoch);
}

#[test]
fn the_semantic_weight_ramps_with_alpha_when_asked() {
    let _serial = serial();
    for ramp in [false, true] {
        let config = DannConfig::new()
            .with_semantic_weight(0.5)
            .with_ramp_semantic(ramp);
        let (_, _, seen) = observed_run(config, 1, 2);
        // Per step with an active semantic term: alpha, and the weight the step gave the
        // semantic term, `(total - ce - domain_weight * domain) / semantic` (domain weight 1).
        let weights: Vec<(f64, f64)> = seen
            .0
            .iter()
            .filter(|r| r.loss("semantic") > 1e-6)
            .map(|r| {
                (
                    r.alpha,
                    (r.total_loss - r.ce_loss - r.loss("domain")) / r.loss("semantic"),
                )
            })
            .collect();
        assert!(weights.len() > 10, "the semantic term was active");
        for (alpha, weight) in weights {
            // alpha = 1.0 * the ramp, so the ramped weight is 0.5 * alpha.
            let expected = if ramp { 0.5 * alpha } else { 0.5 };
            assert!(
                (weight - expected).abs() < 1e-3,
                "ramp {ramp}: weight {weight}, expected {expected}"
            );
        }
    }
}

#[test]
fn source_only_reports_no_reversal() {
    let _serial = serial();
    let (_, history, seen) = observed_run(DannConfig::new().with_domain_weight(0.0), 2, 2);
    assert!(!seen.0.is_empty());
    assert!(
        seen.alphas().iter().all(|a| *a == 0.0),
        "steps report alpha 0"
    );
    assert!(
        history
            .iter()
            .all(|r| r.alpha == 0.0 && r.loss("domain") == 0.0)
    );
}
