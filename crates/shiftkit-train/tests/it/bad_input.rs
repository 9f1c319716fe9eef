//! Bad data at every entry point that takes it: inputs of the wrong width or shape, target
//! inputs shaped unlike the source's, NaN and infinity inside a batch, empty data sets. Each is
//! a typed error naming the problem, found before training; none panics. Checked over many
//! generated cases.

use crate::common;
use common::serial;

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use common::{B, Inner, seeded_trainer};
use proptest::prelude::*;
use shiftkit_data::DomainBatch;
use shiftkit_nn::{Encoder, NnError, ShallowEncoderConfig};
use shiftkit_train::{DannConfig, DannTrainer, TrainError};

/// One example: its input values (any width) and its label.
type Row = (Vec<f32>, i64);

/// Batches of rows as `[n, width]` inputs; the rows of a batch share a width.
#[derive(Clone)]
struct Rows;

impl<Bk: Backend> Batcher<Bk, Row, DomainBatch<Bk, 2>> for Rows {
    fn batch(&self, items: Vec<Row>, device: &Bk::Device) -> DomainBatch<Bk, 2> {
        let (n, width) = (items.len(), items.first().map_or(0, |(x, _)| x.len()));
        let values: Vec<f32> = items.iter().flat_map(|(x, _)| x.clone()).collect();
        let labels: Vec<i64> = items.iter().map(|(_, y)| *y).collect();
        DomainBatch {
            inputs: Tensor::from_data(TensorData::new(values, [n, width]), device),
            labels: Tensor::<Bk, 1, Int>::from_data(TensorData::new(labels, [n]), device),
            values: None,
        }
    }
}

fn loader<Bk: Backend>(
    rows: Vec<Row>,
    batch: usize,
) -> Arc<dyn DataLoader<Bk, DomainBatch<Bk, 2>>> {
    DataLoaderBuilder::new(Rows)
        .batch_size(batch)
        .build(InMemDataset::new(rows))
}

/// `n` rows of `width` values, labels alternating 0 and 1.
fn rows(n: usize, width: usize) -> Vec<Row> {
    (0..n)
        .map(|i| {
            (
                (0..width).map(|j| ((i * 7 + j) % 5) as f32 / 5.0).collect(),
                (i % 2) as i64,
            )
        })
        .collect()
}

/// A trainer for inputs of `input_dim` values on loaders of `source` and `target`, built under
/// the generator lock (building draws the initial weights).
fn trainer(
    source: Vec<Row>,
    target: Vec<Row>,
    input_dim: usize,
) -> Result<common::Trainer, TrainError> {
    let _serial = serial();
    let device = Default::default();
    let model = ShallowEncoderConfig::new()
        .with_input_dim(input_dim)
        .init::<B>(&device)
        .unwrap();
    DannTrainer::new(
        model,
        loader(source, 8),
        loader(target, 8),
        DannConfig::new().with_num_classes(2),
        &device,
    )
}

/// Two different input widths.
fn distinct_widths() -> impl Strategy<Value = (usize, usize)> {
    (1usize..6, 1usize..6).prop_filter("the widths differ", |(a, b)| a != b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Source inputs of another width than the model takes.
    #[test]
    fn source_inputs_of_the_wrong_width((model_width, data_width) in distinct_widths(), n in 1usize..20) {
        let result = trainer(rows(n, data_width), rows(n, data_width), model_width);
        prop_assert!(matches!(
            result,
            Err(TrainError::InputShape { ref domain, ref expected, ref found })
                if domain == "source" && *expected == [model_width] && *found == [data_width]
        ), "{:?}", result.err());
    }

    /// Target inputs shaped unlike the source's.
    #[test]
    fn target_inputs_unlike_the_source((width, other) in distinct_widths(), n in 1usize..20) {
        let result = trainer(rows(n, width), rows(n, other), width);
        prop_assert!(matches!(
            result,
            Err(TrainError::InputShapeMismatch { ref source_dims, ref target_dims })
                if *source_dims == [width] && *target_dims == [other]
        ), "{:?}", result.err());
    }

    /// A NaN or an infinity anywhere in either domain's data.
    #[test]
    fn non_finite_values_inside_a_batch(
        n in 1usize..40,
        at in any::<prop::sample::Index>(),
        value in prop::sample::select(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY]),
        in_target in any::<bool>(),
    ) {
        let mut bad = rows(n, 2);
        let flat = at.index(n * 2);
        bad[flat / 2].0[flat % 2] = value;
        let (source, target) = if in_target { (rows(n, 2), bad) } else { (bad, rows(n, 2)) };
        let result = trainer(source, target, 2);
        let expected_domain = if in_target { "target" } else { "source" };
        prop_assert!(matches!(
            result,
            Err(TrainError::NonFiniteInput { ref domain, batch })
                if domain == expected_domain && batch == flat / 2 / 8 + 1
        ), "{:?}", result.err());
    }

    /// Labels outside the classes, anywhere.
    #[test]
    fn labels_outside_the_classes(n in 1usize..40, at in any::<prop::sample::Index>(), label in prop_oneof![-5i64..0, 2i64..9]) {
        let mut bad = rows(n, 2);
        bad[at.index(n)].1 = label;
        let result = trainer(bad, rows(n, 2), 2);
        prop_assert!(matches!(
            result,
            Err(TrainError::LabelOutOfRange { label: l, .. }) if l == label
        ), "{:?}", result.err());
    }
}

#[test]
fn empty_data_sets_are_empty_loader_errors() {
    for (source, target, domain) in [
        (Vec::new(), rows(4, 2), "source"),
        (rows(4, 2), Vec::new(), "target"),
    ] {
        assert!(matches!(
            trainer(source, target, 2),
            Err(TrainError::EmptyLoader { domain: d }) if d == domain
        ));
    }
}

#[test]
fn evaluation_data_of_the_wrong_width_is_an_error_and_the_trainer_goes_on() {
    let _serial = serial();
    let mut trainer = seeded_trainer(DannConfig::new(), 3);
    let wrong = loader::<Inner>(rows(10, 3), 4);
    assert!(matches!(
        trainer.evaluate(wrong.as_ref(), "target-test"),
        Err(TrainError::InputShape { domain, expected, found })
            if domain == "target-test" && expected == [2] && found == [3]
    ));
    // Still usable.
    trainer.fit(1).unwrap();
    assert!(
        trainer
            .evaluate(loader::<Inner>(rows(10, 2), 4).as_ref(), "ok")
            .is_ok()
    );
}

#[test]
fn an_encoder_checks_a_batch_shape_before_running_it() {
    let _serial = serial();
    let device = Default::default();
    let model = ShallowEncoderConfig::new().init::<Inner>(&device).unwrap();
    assert_eq!(model.input_dims(), Some(vec![2]));
    assert!(model.check_input(&[5, 2]).is_ok());
    assert_eq!(
        model.check_input(&[5, 3]),
        Err(NnError::InputShape {
            expected: vec![2],
            found: vec![3]
        })
    );
    let cnn = shiftkit_nn::CnnEncoderConfig::new()
        .init::<Inner>(&device)
        .unwrap();
    assert_eq!(cnn.input_dims(), Some(vec![1, 28, 28]));
    assert!(cnn.check_input(&[2, 1, 28, 28]).is_ok());
    assert!(cnn.check_input(&[2, 3, 28, 28]).is_err());
    let mlp = shiftkit_nn::MlpEncoderConfig::new()
        .init::<Inner>(&device)
        .unwrap();
    assert_eq!(mlp.input_dims(), Some(vec![784]));
    assert!(mlp.check_input(&[2, 1, 28, 28]).is_err());
}

/// One batch of `rows` as the loaders here make it.
fn batch(rows: Vec<Row>) -> DomainBatch<B, 2> {
    Rows.batch(rows, &Default::default())
}

#[test]
fn a_custom_loops_bad_batch_or_rate_is_an_error_before_the_step() {
    let mut trainer = trainer(rows(16, 2), rows(16, 2), 2).unwrap();
    let weights = common::parameters(trainer.model());
    let good = || batch(rows(8, 2));
    let mut label_9 = rows(8, 2);
    label_9[3].1 = 9;
    let mut short_labels = good();
    short_labels.labels = short_labels.labels.narrow(0, 0, 5);
    let cases: Vec<(DomainBatch<B, 2>, DomainBatch<B, 2>, f64, f64)> = vec![
        (batch(label_9), good(), 0.5, 1e-3),
        (batch(rows(8, 3)), good(), 0.5, 1e-3),
        (good(), batch(rows(8, 3)), 0.5, 1e-3),
        (short_labels, good(), 0.5, 1e-3),
        (batch(Vec::new()), good(), 0.5, 1e-3),
        (good(), good(), 0.5, f64::NAN),
        (good(), good(), 0.5, -1e-3),
        (good(), good(), 1.5, 1e-3),
    ];
    let mut errors = Vec::new();
    for (source, target, progress, lr) in cases {
        let _serial = serial();
        errors.push(
            trainer
                .train_step(source, target, progress, lr)
                .unwrap_err(),
        );
    }
    let domain = |d: &str| d.to_string();
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            TrainError::LabelOutOfRange {
                domain: domain("source"),
                label: 9,
                num_classes: 2
            },
            TrainError::InputShape {
                domain: domain("source"),
                expected: vec![2],
                found: vec![3]
            },
            TrainError::InputShape {
                domain: domain("target"),
                expected: vec![2],
                found: vec![3]
            },
            TrainError::BatchLengthMismatch {
                domain: domain("source"),
                inputs: 8,
                labels: 5
            },
            TrainError::EmptyBatch {
                domain: domain("source")
            },
            TrainError::InvalidHyperParameter {
                name: "lr",
                value: f64::NAN,
                expected: "finite and > 0"
            },
            TrainError::InvalidHyperParameter {
                name: "lr",
                value: -1e-3,
                expected: "finite and > 0"
            },
            TrainError::InvalidHyperParameter {
                name: "progress",
                value: 1.5,
                expected: "in [0, 1]"
            },
        ]
        .map(|e| e.to_string())
    );
    assert_eq!(trainer.steps_done(), 0);
    assert_eq!(common::parameters(trainer.model()), weights);
    let _serial = serial();
    trainer.train_step(good(), good(), 0.5, 1e-3).unwrap();
    assert_eq!(trainer.steps_done(), 1);
}

/// [`Rows`], but a batch shorter than 8 comes out empty, as a batcher that drops short
/// batches by emptying them would make it.
#[derive(Clone)]
struct EmptiesShort;

impl<Bk: Backend> Batcher<Bk, Row, DomainBatch<Bk, 2>> for EmptiesShort {
    fn batch(&self, mut items: Vec<Row>, device: &Bk::Device) -> DomainBatch<Bk, 2> {
        if items.len() < 8 {
            items.clear();
        }
        Rows.batch(items, device)
    }
}

#[test]
fn a_loaders_empty_batches_are_never_a_step() {
    let _serial = serial();
    let device = Default::default();
    let model = ShallowEncoderConfig::new()
        .with_input_dim(2)
        .init::<B>(&device)
        .unwrap();
    // 20 rows in batches of 8: two full batches, then an empty one; the target's four
    // batches make the source cycle through it.
    let source = DataLoaderBuilder::new(EmptiesShort)
        .batch_size(8)
        .build(InMemDataset::new(rows(20, 2)));
    let config = DannConfig::new().with_num_classes(2);
    let mut trainer =
        DannTrainer::new(model, source, loader(rows(32, 2), 8), config, &device).unwrap();
    assert_eq!(trainer.steps_per_epoch(), 4);
    let records = trainer.fit(3).unwrap();
    assert!(records.iter().all(|r| r.ce_loss.is_finite()), "{records:?}");
    assert_eq!(trainer.steps_done(), 12);
}
