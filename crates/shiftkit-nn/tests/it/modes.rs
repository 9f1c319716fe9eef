//! Training mode (autodiff backend) against evaluation mode (`valid()` on the inner backend):
//! dropout on and off, batch norm on batch statistics and on running statistics.

use crate::common;
use common::serial;

use burn::module::{AutodiffModule, Module};
use burn::tensor::Tensor;
use common::{Ad, Inner, input, max_abs_diff, to_vec};
use shiftkit_nn::{CnnEncoderConfig, DomainDiscriminatorConfig, Encoder, MlpEncoderConfig};

/// Checks both sides of dropout for one network: in training two passes over the same batch
/// differ; in evaluation passes repeat exactly and equal the same weights run in training mode
/// with dropout 0, so evaluation neither drops nor rescales.
fn check_dropout<const O: usize>(
    train_with_dropout: impl Fn(Tensor<Ad, 2>) -> Tensor<Ad, O>,
    train_without_dropout: impl Fn(Tensor<Ad, 2>) -> Tensor<Ad, O>,
    eval: impl Fn(Tensor<Inner, 2>) -> Tensor<Inner, O>,
    shape: [usize; 2],
) {
    let x = input::<Ad, 2>(shape, 1);
    let first = to_vec(train_with_dropout(x.clone()));
    let second = to_vec(train_with_dropout(x.clone()));
    assert_ne!(
        first, second,
        "dropout must be active on the autodiff backend"
    );

    let x_eval = input::<Inner, 2>(shape, 1);
    let evaluated = to_vec(eval(x_eval.clone()));
    assert_eq!(
        evaluated,
        to_vec(eval(x_eval)),
        "evaluation is deterministic"
    );

    let reference = to_vec(train_without_dropout(x));
    assert!(
        max_abs_diff(&evaluated, &reference) < 1e-6,
        "evaluation must be the network without dropout"
    );
}

#[test]
fn mlp_dropout_is_active_in_training_and_off_in_evaluation() {
    let _serial = serial();
    let device = Default::default();
    let config = MlpEncoderConfig::new().with_input_dim(8).with_dropout(0.5);
    let encoder = config.init::<Ad>(&device).unwrap();
    // The same weights with dropout 0 (the probability is configuration, not part of a record).
    let without = config
        .clone()
        .with_dropout(0.0)
        .init::<Ad>(&device)
        .unwrap()
        .load_record(encoder.clone().into_record());
    let eval = encoder.valid();
    check_dropout(
        |x| encoder.encode(x),
        |x| without.encode(x),
        |x| eval.encode(x),
        [6, 8],
    );
}

#[test]
fn cnn_dropout_is_active_in_training_and_off_in_evaluation() {
    let _serial = serial();
    // Batch norm also differs between the modes, so training is not compared with evaluation
    // here. Two training passes over one batch see the same batch statistics: any difference
    // between them is dropout's, and without dropout there is none.
    let device = Default::default();
    let encoder = CnnEncoderConfig::new()
        .with_image_size([4, 4])
        .with_conv_channels([2, 2])
        .with_hidden_dim(16)
        .with_dropout(0.5)
        .init::<Ad>(&device)
        .unwrap();
    let x = input::<Ad, 4>([3, 1, 4, 4], 1);
    assert_ne!(
        to_vec(encoder.encode(x.clone())),
        to_vec(encoder.encode(x)),
        "dropout must be active on the autodiff backend"
    );
    let eval = encoder.valid();
    let x = input::<Inner, 4>([3, 1, 4, 4], 1);
    assert_eq!(to_vec(eval.encode(x.clone())), to_vec(eval.encode(x)));

    let without_dropout = CnnEncoderConfig::new()
        .with_image_size([4, 4])
        .with_conv_channels([2, 2])
        .with_hidden_dim(16)
        .with_dropout(0.0)
        .init::<Ad>(&device)
        .unwrap();
    let x = input::<Ad, 4>([3, 1, 4, 4], 2);
    assert_eq!(
        to_vec(without_dropout.encode(x.clone())),
        to_vec(without_dropout.encode(x)),
        "without dropout, training passes over one batch repeat"
    );
}

#[test]
fn discriminator_dropout_is_active_in_training_and_off_in_evaluation() {
    let _serial = serial();
    let device = Default::default();
    let config = DomainDiscriminatorConfig::new(5)
        .with_hidden_dim(16)
        .with_hidden_layers(2)
        .with_dropout(0.5);
    let discriminator = config.init::<Ad>(&device).unwrap();
    let without = config
        .clone()
        .with_dropout(0.0)
        .init::<Ad>(&device)
        .unwrap()
        .load_record(discriminator.clone().into_record());
    let eval = discriminator.valid();
    check_dropout(
        |x| discriminator.forward(x),
        |x| without.forward(x),
        |x| eval.forward(x),
        [8, 5],
    );
}

/// Checks batch norm in both modes on one batch, given the network run in training mode and a
/// way to get its evaluation-mode twin as it stands:
///
/// 1. Evaluation treats rows independently (a row alone gives what it gives in the batch);
///    training does not (batch statistics mix the rows).
/// 2. A fresh network's evaluation (running mean 0, variance 1) differs from training.
/// 3. After many training passes over the batch, the running statistics have converged to the
///    batch's, and evaluation gives what training gives.
fn check_batch_norm<const D: usize, const O: usize>(
    train: impl Fn(Tensor<Ad, D>) -> Tensor<Ad, O>,
    eval: impl Fn() -> Box<dyn Fn(Tensor<Inner, D>) -> Tensor<Inner, O>>,
    shape: [usize; D],
) {
    let batch = input::<Ad, D>(shape, 1);
    let batch_eval = input::<Inner, D>(shape, 1);
    let rows = shape[0];
    let row_width = to_vec(train(batch.clone())).len() / rows;

    // 1. Rows: alone or in the batch.
    let first_row = |t: Vec<f32>| t[..row_width].to_vec();
    let eval_fresh = eval();
    let in_batch = first_row(to_vec(eval_fresh(batch_eval.clone())));
    let alone = to_vec(eval_fresh(batch_eval.clone().narrow(0, 0, 2)));
    assert!(max_abs_diff(&in_batch, &first_row(alone)) < 1e-6);
    let train_in_batch = first_row(to_vec(train(batch.clone())));
    let train_alone = first_row(to_vec(train(batch.clone().narrow(0, 0, 2))));
    assert!(
        max_abs_diff(&train_in_batch, &train_alone) > 1e-3,
        "training uses batch statistics"
    );

    // 2. Fresh running statistics: evaluation is not training.
    let trained = to_vec(train(batch.clone()));
    let fresh = to_vec(eval_fresh(batch_eval.clone()));
    assert!(max_abs_diff(&trained, &fresh) > 1e-2);

    // 3. Converged running statistics: evaluation is training. Momentum 0.1: after 150 passes
    //    the initial statistics weigh 0.9^150 ~ 1e-7.
    for _ in 0..150 {
        let _ = train(batch.clone());
    }
    let trained = to_vec(train(batch));
    let converged = to_vec(eval()(batch_eval));
    assert!(
        max_abs_diff(&trained, &converged) < 1e-3,
        "evaluation must use the running statistics"
    );
}

#[test]
fn discriminator_batch_norm_uses_running_statistics_in_evaluation() {
    let _serial = serial();
    let device = Default::default();
    let discriminator = DomainDiscriminatorConfig::new(4)
        .with_hidden_dim(8)
        .with_hidden_layers(2)
        .with_batch_norm(true)
        .init::<Ad>(&device)
        .unwrap();
    check_batch_norm(
        |x| discriminator.forward(x),
        || {
            let eval = discriminator.valid();
            Box::new(move |x| eval.forward(x))
        },
        [6, 4],
    );
}

#[test]
fn cnn_batch_norm_uses_running_statistics_in_evaluation() {
    let _serial = serial();
    use burn::tensor::backend::Backend;
    let device = Default::default();
    // A fixed network: with unlucky weights this tiny encoder's first row is all dead ReLUs.
    Ad::seed(&device, 0);
    let encoder = CnnEncoderConfig::new()
        .with_image_size([4, 4])
        .with_conv_channels([3, 4])
        .with_hidden_dim(8)
        .with_latent_dim(6)
        .with_dropout(0.0)
        .init::<Ad>(&device)
        .unwrap();
    check_batch_norm(
        |x| encoder.encode(x),
        || {
            let eval = encoder.valid();
            Box::new(move |x| eval.encode(x))
        },
        [4, 1, 4, 4],
    );
}
