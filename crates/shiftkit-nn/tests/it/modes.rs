//! Training mode (autodiff backend) against evaluation mode (`valid()` on the inner backend):
//! dropout on and off, batch norm on batch statistics and on running statistics.

use crate::common;
use common::serial;

use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use common::{Ad, Inner, input, max_abs_diff, small_cnn, to_vec};
use shiftkit_nn::kernels::LoweringBackend;
use shiftkit_nn::{
    CnnEncoder, DomainDiscriminator, DomainDiscriminatorConfig, Encoder, MlpEncoder,
    MlpEncoderConfig, NnError,
};

/// The device of the backends under test.
type Device = burn::tensor::Device<Ad>;

/// A network's output on a batch, in training mode or evaluation mode alike.
trait Run<B: Backend, const D: usize, const O: usize> {
    fn run(&self, x: Tensor<B, D>) -> Tensor<B, O>;
}

impl<B: LoweringBackend> Run<B, 2, 2> for MlpEncoder<B> {
    fn run(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.encode(x)
    }
}

impl<B: LoweringBackend> Run<B, 4, 2> for CnnEncoder<B> {
    fn run(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.encode(x)
    }
}

impl<B: Backend> Run<B, 2, 1> for DomainDiscriminator<B> {
    fn run(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.forward(x)
    }
}

/// Checks both sides of dropout for one network, built by `init` at a dropout probability on a
/// device: in training two passes over the same batch differ; in evaluation passes repeat
/// exactly and equal the same weights run in training mode with dropout 0, so evaluation
/// neither drops nor rescales. Holds the generator lock throughout.
fn check_dropout<M, const O: usize>(
    init: impl Fn(f64, &Device) -> Result<M, NnError>,
    shape: [usize; 2],
) where
    M: AutodiffModule<Ad> + Run<Ad, 2, O>,
    M::InnerModule: Run<Inner, 2, O>,
{
    let _serial = serial();
    let device = Default::default();
    let network = init(0.5, &device).unwrap();
    // The same weights with dropout 0 (the probability is configuration, not part of a record).
    let without_dropout = init(0.0, &device)
        .unwrap()
        .load_record(network.clone().into_record());

    let x = input::<Ad, 2>(shape, 1);
    let first = to_vec(network.run(x.clone()));
    let second = to_vec(network.run(x.clone()));
    assert_ne!(
        first, second,
        "dropout must be active on the autodiff backend"
    );

    let x_eval = input::<Inner, 2>(shape, 1);
    let valid = network.valid();
    let evaluated = to_vec(valid.run(x_eval.clone()));
    assert_eq!(
        evaluated,
        to_vec(valid.run(x_eval)),
        "evaluation is deterministic"
    );

    let reference = to_vec(without_dropout.run(x));
    assert!(
        max_abs_diff(&evaluated, &reference) < 1e-6,
        "evaluation must be the network without dropout"
    );
}

#[test]
fn mlp_dropout_is_active_in_training_and_off_in_evaluation() {
    let config = MlpEncoderConfig::new().with_input_dim(8);
    check_dropout(
        |p, device| config.clone().with_dropout(p).init::<Ad>(device),
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
    let init = |dropout| {
        small_cnn([4, 4], [2, 2], 16)
            .with_dropout(dropout)
            .init::<Ad>(&device)
            .unwrap()
    };
    // Two training passes over one batch from `seed`.
    let two_passes = |encoder: &CnnEncoder<Ad>, seed| {
        let x = input::<Ad, 4>([3, 1, 4, 4], seed);
        (to_vec(encoder.encode(x.clone())), to_vec(encoder.encode(x)))
    };
    let encoder = init(0.5);
    let (first, second) = two_passes(&encoder, 1);
    assert_ne!(
        first, second,
        "dropout must be active on the autodiff backend"
    );
    let eval = encoder.valid();
    let x = input::<Inner, 4>([3, 1, 4, 4], 1);
    assert_eq!(to_vec(eval.encode(x.clone())), to_vec(eval.encode(x)));

    let (first, second) = two_passes(&init(0.0), 2);
    assert_eq!(
        first, second,
        "without dropout, training passes over one batch repeat"
    );
}

#[test]
fn discriminator_dropout_is_active_in_training_and_off_in_evaluation() {
    let config = DomainDiscriminatorConfig::new(5)
        .with_hidden_dim(16)
        .with_hidden_layers(2);
    check_dropout(
        |p, device| config.clone().with_dropout(p).init::<Ad>(device),
        [8, 5],
    );
}

/// Checks batch norm in both modes on one batch, for the network `build` makes on a device
/// (under the generator lock, held throughout), run in training mode and through its
/// evaluation-mode twin as it stands:
///
/// 1. Evaluation treats rows independently (a row alone gives what it gives in the batch);
///    training does not (batch statistics mix the rows).
/// 2. A fresh network's evaluation (running mean 0, variance 1) differs from training.
/// 3. After many training passes over the batch, the running statistics have converged to the
///    batch's, and evaluation gives what training gives.
fn check_batch_norm<M, const D: usize, const O: usize>(
    build: impl FnOnce(&Device) -> M,
    shape: [usize; D],
) where
    M: AutodiffModule<Ad> + Run<Ad, D, O>,
    M::InnerModule: Run<Inner, D, O>,
{
    let _serial = serial();
    let network = build(&Default::default());
    let train = |x| network.run(x);
    let batch = input::<Ad, D>(shape, 1);
    let batch_eval = input::<Inner, D>(shape, 1);
    let rows = shape[0];
    let row_width = to_vec(train(batch.clone())).len() / rows;

    // 1. Rows: alone or in the batch.
    let first_row = |t: Vec<f32>| t[..row_width].to_vec();
    let fresh_network = network.valid();
    let eval_fresh = |x| fresh_network.run(x);
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
    let converged = to_vec(network.valid().run(batch_eval));
    assert!(
        max_abs_diff(&trained, &converged) < 1e-3,
        "evaluation must use the running statistics"
    );
}

#[test]
fn discriminator_batch_norm_uses_running_statistics_in_evaluation() {
    check_batch_norm(
        |device| {
            DomainDiscriminatorConfig::new(4)
                .with_hidden_dim(8)
                .with_hidden_layers(2)
                .with_batch_norm(true)
                .init::<Ad>(device)
                .unwrap()
        },
        [6, 4],
    );
}

#[test]
fn cnn_batch_norm_uses_running_statistics_in_evaluation() {
    check_batch_norm(
        |device| {
            // A fixed network: with unlucky weights this tiny encoder's first row is all dead
            // ReLUs.
            Ad::seed(device, 0);
            small_cnn([4, 4], [3, 4], 8)
                .with_latent_dim(6)
                .with_dropout(0.0)
                .init::<Ad>(device)
                .unwrap()
        },
        [4, 1, 4, 4],
    );
}
