//! Evaluation: in evaluation mode, over the whole loader, without changing the model.

use crate::common;
use common::serial;

use common::{eval_loader, moons, moons_trainer, parameters};
use shiftkit_train::DannConfig;

#[test]
fn evaluate_counts_every_sample_and_changes_nothing() {
    let _serial = serial();
    let pair = moons(0);
    let mut trainer = moons_trainer(&pair, DannConfig::new().with_lr(1e-2), 0);
    trainer.fit(3).unwrap();
    let before = parameters(trainer.model());
    let loader = eval_loader(pair.target_test.clone());
    let first = trainer.evaluate(loader.as_ref(), "target-test").unwrap();
    let second = trainer.evaluate(loader.as_ref(), "target-test").unwrap();
    assert_eq!(first, second);
    assert_eq!(first.domain, "target-test");
    assert_eq!(first.n_samples, pair.target_test.len());
    assert!((0.0..=1.0).contains(&first.accuracy));
    assert_eq!(parameters(trainer.model()), before);
    // Evaluation is not a training step.
    assert_eq!(trainer.steps_done(), 3 * trainer.steps_per_epoch());
    // And the model trained: it is better than chance on its own source.
    let source = trainer
        .evaluate(
            eval_loader(pair.source_test.clone()).as_ref(),
            "source-test",
        )
        .unwrap();
    assert!(source.accuracy > 0.6, "source accuracy {}", source.accuracy);
}
