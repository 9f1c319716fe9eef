//! A regression: a number per example, learnt from the source with a squared or Huber loss,
//! with the terms that need no classes; those that do are refused.

use crate::common;

use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use common::{B, Inner, moons, serial};
use shiftkit_data::{DomainBatch, Label, MoonsPair, SampleDataset};
use shiftkit_nn::{ShallowEncoder, ShallowEncoderConfig};
use shiftkit_train::terms::{CentroidAlignmentConfig, MeanDiscrepancyConfig, TermConfig};
use shiftkit_train::{
    DannConfig, DannTrainer, Method, RegressionLoss, RegressionResult, Task, TrainError,
};

/// The number each point is labelled with: a smooth function of both coordinates.
fn target_value([x, y]: [f32; 2]) -> f32 {
    x - 0.5 * y + 0.3 * x * y
}

/// Points with their values (or none, for an unlabelled target).
fn values(points: &[[f32; 2]], labelled: bool) -> SampleDataset {
    let flat = points.iter().flatten().copied().collect();
    let labels = points
        .iter()
        .map(|&p| {
            if labelled {
                Label::Value(target_value(p))
            } else {
                Label::None
            }
        })
        .collect();
    SampleDataset::from_values(flat, vec![2], labels, None).unwrap()
}

fn loader<Bk: burn::tensor::backend::Backend>(
    data: SampleDataset,
    seed: Option<u64>,
) -> Arc<dyn DataLoader<Bk, DomainBatch<Bk, 2>>> {
    let builder = DataLoaderBuilder::new(data.batcher()).batch_size(32);
    match seed {
        Some(seed) => builder.shuffle(seed).build(data),
        None => builder.build(data),
    }
}

fn trainer(
    pair: &MoonsPair,
    config: DannConfig,
    labelled_source: bool,
) -> Result<DannTrainer<B, ShallowEncoder<B>, 2>, TrainError> {
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 0);
    let model = ShallowEncoderConfig::new()
        .with_num_classes(1)
        .init::<B>(&device)
        .unwrap();
    DannTrainer::new(
        model,
        loader(values(pair.source_train.points(), labelled_source), Some(1)),
        loader(values(pair.target_train.points(), false), Some(2)),
        config.with_num_classes(1).with_task(Task::REGRESSION),
        &device,
    )
}

#[test]
fn dann_learns_a_number_and_is_measured_by_its_errors() {
    let _serial = serial();
    let pair = moons(0);
    let config = Method::Dann.configure(DannConfig::new().with_lr(0.02));
    let mut trainer = trainer(&pair, config, true).unwrap();
    let history = trainer.fit(30).unwrap();
    let (first, last) = (&history[0], history.last().unwrap());
    // The source loss is the squared error, and it falls; accuracy has no meaning here.
    assert!(last.ce_loss < first.ce_loss / 4.0, "{first:?}\n{last:?}");
    let (mae_first, mae_last) = (first.src_mae.unwrap(), last.src_mae.unwrap());
    assert!(mae_last < mae_first, "{mae_first} -> {mae_last}");
    assert_eq!(
        (last.src_acc, last.tgt_acc, last.tgt_majority),
        (0.0, 0.0, 0.0)
    );
    // The adversarial term trained beside it.
    assert!(last.loss("domain") > 0.0 && last.disc_acc > 0.0);
    // The errors on held-out data of each domain, with their values.
    let source = trainer
        .evaluate_values(
            loader::<Inner>(values(pair.source_test.points(), true), None).as_ref(),
            "source-test",
        )
        .unwrap();
    let target = trainer
        .evaluate_values(
            loader::<Inner>(values(pair.target_test.points(), true), None).as_ref(),
            "target-test",
        )
        .unwrap();
    assert_eq!(source.n_samples, pair.source_test.len());
    assert!(source.r2 > 0.9, "{source:?}");
    assert!(source.rmse >= source.mae && target.rmse >= target.mae);
    assert!(target.mae.is_finite() && target.r2 > 0.0, "{target:?}");
    // A history with src_mae round-trips through JSON.
    let json = serde_json::to_string(last).unwrap();
    assert!(json.contains("\"src_mae\""));
    assert_eq!(
        &serde_json::from_str::<shiftkit_train::EpochRecord>(&json).unwrap(),
        last
    );
}

#[test]
fn huber_and_mmd_train_a_regression_too() {
    let _serial = serial();
    let pair = moons(1);
    let config = Method::Mmd
        .configure(DannConfig::new().with_lr(0.02))
        .with_task(Task::Regression(RegressionLoss::Huber { delta: 0.5 }));
    let mut trainer = trainer(&pair, config, true).unwrap();
    let history = trainer.fit(10).unwrap();
    assert!(history.last().unwrap().loss("mmd") != 0.0);
    assert!(history.last().unwrap().ce_loss < history[0].ce_loss);
}

#[test]
fn huber_is_quadratic_near_the_value_and_linear_beyond() {
    use burn::tensor::Tensor;
    let device = Default::default();
    let predictions = Tensor::<Inner, 1>::from_floats([0.0, 0.2, 3.0, -2.0], &device);
    let values = Tensor::<Inner, 1>::zeros([4], &device);
    let loss = RegressionLoss::Huber { delta: 1.0 }
        .loss(predictions.clone(), values.clone())
        .into_scalar();
    // 0, 0.5 * 0.04, 1 * (3 - 0.5), 1 * (2 - 0.5), over 4.
    let expected = (0.0 + 0.02 + 2.5 + 1.5) / 4.0;
    assert!((loss - expected).abs() < 1e-6, "{loss} vs {expected}");
    let mse = RegressionLoss::MeanSquared
        .loss(predictions, values)
        .into_scalar();
    assert!((mse - (0.04 + 9.0 + 4.0) / 4.0).abs() < 1e-5);
}

#[test]
fn terms_that_need_classes_and_data_without_values_are_refused() {
    let _serial = serial();
    let pair = moons(0);
    for method in [Method::DannMstn, Method::Cdan, Method::CdanE, Method::Mcc] {
        let result = trainer(&pair, method.config(), true);
        assert!(
            matches!(&result, Err(TrainError::TermNeedsClasses { .. })),
            "{method}: {:?}",
            result.err()
        );
    }
    // ShiftKit's own MSTN weight, and a listed MSTN term, alike.
    let shiftkit = DannConfig::new().with_semantic_weight(0.5);
    assert!(matches!(
        trainer(&pair, shiftkit, true),
        Err(TrainError::TermNeedsClasses { term }) if term == "semantic"
    ));
    let listed =
        DannConfig::new().with_terms(vec![TermConfig::Mstn(CentroidAlignmentConfig::new())]);
    assert!(trainer(&pair, listed, true).is_err());
    // MMD needs no class.
    let mmd = DannConfig::new().with_terms(vec![TermConfig::Mmd(MeanDiscrepancyConfig::new())]);
    assert!(trainer(&pair, mmd, true).is_ok());
    // A source without values.
    assert!(matches!(
        trainer(&pair, Method::Dann.config(), false),
        Err(TrainError::MissingValues { domain }) if domain == "source"
    ));
    // One output, not several.
    let wide = Method::Dann
        .config()
        .with_task(Task::REGRESSION)
        .with_num_classes(3);
    assert!(matches!(
        wide.check(),
        Err(TrainError::InvalidHyperParameter {
            name: "num_classes",
            ..
        })
    ));
    let bad_delta = Method::Dann
        .config()
        .with_num_classes(1)
        .with_task(Task::Regression(RegressionLoss::Huber { delta: 0.0 }));
    assert!(matches!(
        bad_delta.check(),
        Err(TrainError::InvalidHyperParameter {
            name: "huber_delta",
            ..
        })
    ));
}

#[test]
fn regression_errors_are_the_textbook_ones() {
    let result = RegressionResult::measure("t", &[1.0, 2.0, 5.0], &[1.0, 3.0, 3.0]);
    assert_eq!(result.mae, 1.0);
    assert!((result.rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    // Mean 7/3, SS_tot = 16/9 + 4/9 + 4/9 = 24/9, SS_res = 5.
    assert!((result.r2 - (1.0 - 5.0 / (24.0 / 9.0))).abs() < 1e-12);
    assert_eq!(result.n_samples, 3);
}
