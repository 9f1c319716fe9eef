//! Output shapes, sizes and parameter counts of every network, in training and evaluation mode.

use crate::common;
use common::serial;

use burn::module::{AutodiffModule, Module};
use burn::tensor::Tensor;
use common::{Ad, Inner, input, small_cnn};
use shiftkit_nn::{
    CnnEncoderConfig, DomainDiscriminatorConfig, Encoder, MlpEncoderConfig, ShallowEncoderConfig,
};

/// Parameters of a linear layer with bias.
fn linear(d_in: usize, d_out: usize) -> usize {
    d_in * d_out + d_out
}

/// Checks an encoder's `[latent_dim, num_classes]`, and the shapes of its features and logits
/// on a training batch of dimensions `train` and of its logits on an evaluation batch of
/// dimensions `eval`.
fn check_outputs<E, const D: usize>(
    encoder: &E,
    train: [usize; D],
    eval: [usize; D],
    [latent_dim, num_classes]: [usize; 2],
) where
    E: Encoder<Ad, Input = Tensor<Ad, D>> + AutodiffModule<Ad>,
    E::InnerModule: Encoder<Inner, Input = Tensor<Inner, D>>,
{
    assert_eq!(
        [encoder.latent_dim(), encoder.num_classes()],
        [latent_dim, num_classes]
    );
    let x = input::<Ad, D>(train, 1);
    let z = encoder.encode(x.clone());
    assert_eq!(z.dims(), [train[0], latent_dim]);
    assert_eq!(encoder.classify(z).dims(), [train[0], num_classes]);
    assert_eq!(encoder.forward(x).dims(), [train[0], num_classes]);

    let logits = encoder.valid().forward(input::<Inner, D>(eval, 2));
    assert_eq!(logits.dims(), [eval[0], num_classes]);
}

#[test]
fn mlp_encoder_shapes_and_architecture() {
    let _serial = serial();
    let device = Default::default();
    let encoder = MlpEncoderConfig::new().init::<Ad>(&device).unwrap();
    assert_eq!(
        encoder.num_params(),
        linear(784, 512) + linear(512, 256) + linear(256, 128) + linear(128, 10)
    );
    check_outputs(&encoder, [3, 784], [2, 784], [128, 10]);
}

#[test]
fn mlp_encoder_sizes_are_configurable() {
    let _serial = serial();
    let device = Default::default();
    let encoder = MlpEncoderConfig::new()
        .with_input_dim(5)
        .with_hidden_dims(vec![7])
        .with_latent_dim(3)
        .with_num_classes(4)
        .init::<Inner>(&device)
        .unwrap();
    assert_eq!(
        encoder.num_params(),
        linear(5, 7) + linear(7, 3) + linear(3, 4)
    );
    let z = encoder.encode(input([2, 5], 3));
    assert_eq!(z.dims(), [2, 3]);
    assert_eq!(encoder.classify(z).dims(), [2, 4]);

    // No hidden layer at all: input straight to the features.
    let direct = MlpEncoderConfig::new()
        .with_input_dim(5)
        .with_hidden_dims(vec![])
        .with_dropout(0.0)
        .with_latent_dim(3)
        .init::<Inner>(&device)
        .unwrap();
    assert_eq!(direct.num_params(), linear(5, 3) + linear(3, 10));
    assert_eq!(direct.encode(input([2, 5], 4)).dims(), [2, 3]);
}

#[test]
fn mlp_latent_is_non_negative() {
    let _serial = serial();
    let encoder = MlpEncoderConfig::new()
        .with_input_dim(6)
        .init::<Inner>(&Default::default())
        .unwrap();
    let z = common::to_vec(encoder.encode(input([4, 6], 5)));
    assert!(z.iter().all(|v| *v >= 0.0), "ReLU on the latent layer");
}

#[test]
fn cnn_encoder_shapes_and_architecture() {
    let _serial = serial();
    let device = Default::default();
    let encoder = CnnEncoderConfig::new().init::<Ad>(&device).unwrap();
    let conv = |c_in: usize, c_out: usize| c_in * c_out * 9 + c_out;
    // Burn counts gamma, beta and the two running statistics.
    let batch_norm = |c: usize| 4 * c;
    assert_eq!(
        encoder.num_params(),
        conv(1, 32)
            + batch_norm(32)
            + conv(32, 64)
            + batch_norm(64)
            + linear(64 * 7 * 7, 256)
            + linear(256, 128)
            + linear(128, 10)
    );
    check_outputs(&encoder, [2, 1, 28, 28], [3, 1, 28, 28], [128, 10]);
}

#[test]
fn cnn_encoder_other_images() {
    let _serial = serial();
    // 3 channels, odd sizes: the pools round down, 9x10 -> 4x5 -> 2x2.
    let encoder = small_cnn([9, 10], [4, 5], 6)
        .with_in_channels(3)
        .with_latent_dim(7)
        .with_num_classes(2)
        .init::<Inner>(&Default::default())
        .unwrap();
    let z = encoder.encode(input([2, 3, 9, 10], 3));
    assert_eq!(z.dims(), [2, 7]);
    assert_eq!(encoder.classify(z).dims(), [2, 2]);
}

#[test]
fn shallow_encoder_shapes_and_sigmoid_features() {
    let _serial = serial();
    let device = Default::default();
    let encoder = ShallowEncoderConfig::new().init::<Ad>(&device).unwrap();
    assert_eq!(encoder.latent_dim(), 15);
    assert_eq!(encoder.num_classes(), 2);
    assert_eq!(encoder.num_params(), linear(2, 15) + linear(15, 2));

    let z = encoder.encode(input::<Ad, 2>([5, 2], 1));
    assert_eq!(z.dims(), [5, 15]);
    let values = common::to_vec(z.clone());
    assert!(
        values.iter().all(|v| *v > 0.0 && *v < 1.0),
        "sigmoid features"
    );
    assert_eq!(encoder.classify(z).dims(), [5, 2]);
}

#[test]
fn discriminator_shapes_and_architecture() {
    let _serial = serial();
    let device = Default::default();
    let default = DomainDiscriminatorConfig::new(128)
        .init::<Ad>(&device)
        .unwrap();
    assert_eq!(default.latent_dim(), 128);
    assert_eq!(default.hidden_layers(), 1);
    // ShiftKit's: Linear(128, 128) - ReLU - Linear(128, 1).
    assert_eq!(default.num_params(), linear(128, 128) + linear(128, 1));
    assert_eq!(default.forward(input::<Ad, 2>([6, 128], 1)).dims(), [6]);
    assert_eq!(
        default
            .valid()
            .forward(input::<Inner, 2>([3, 128], 2))
            .dims(),
        [3]
    );

    // The DANN paper's Office discriminator, with batch norm and dropout on top.
    let deep = DomainDiscriminatorConfig::new(16)
        .with_hidden_layers(2)
        .with_hidden_dim(32)
        .with_dropout(0.5)
        .with_batch_norm(true)
        .init::<Ad>(&device)
        .unwrap();
    assert_eq!(deep.hidden_layers(), 2);
    assert_eq!(
        deep.num_params(),
        // Batch norm: gamma, beta and the two running statistics.
        linear(16, 32) + 4 * 32 + linear(32, 32) + 4 * 32 + linear(32, 1)
    );
    assert_eq!(deep.forward(input::<Ad, 2>([4, 16], 3)).dims(), [4]);

    // No hidden layer: logistic regression on the features.
    let linear_only = DomainDiscriminatorConfig::new(15)
        .with_hidden_layers(0)
        .init::<Inner>(&device)
        .unwrap();
    assert_eq!(linear_only.num_params(), linear(15, 1));
    assert_eq!(linear_only.forward(input([4, 15], 4)).dims(), [4]);
}

#[test]
fn discriminator_reads_any_encoder_features() {
    let _serial = serial();
    let device = Default::default();
    let encoder = ShallowEncoderConfig::new().init::<Ad>(&device).unwrap();
    let discriminator = DomainDiscriminatorConfig::new(encoder.latent_dim())
        .init::<Ad>(&device)
        .unwrap();
    assert_eq!(discriminator.latent_dim(), encoder.latent_dim());
    let z = encoder.encode(input([7, 2], 1));
    assert_eq!(discriminator.forward(z).dims(), [7]);
}
