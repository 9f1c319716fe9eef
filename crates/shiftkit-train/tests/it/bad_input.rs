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
