//! `encode_pair` computes what two calls of `encode` compute, side effects included: the same
//! features (the same dropout masks), the same running statistics afterwards, and, summed over
//! the two graphs, the same parameter gradients. The CNN and the MLP run their two passes on two
//! threads on the CPU path, so this is what keeps that path honest.
//!
//! The backends' generators are per process: the check holds the shared `serial` lock while it
//! seeds and draws.

use crate::common;
use common::serial;

use burn::backend::{Autodiff, Flex};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use common::{Ad, input, max_abs_diff, parameter_gradients, small_cnn, to_vec, weights};
use shiftkit_nn::kernels::LoweringBackend;
use shiftkit_nn::{ConvAlgorithm, DropoutMasks, Encoder, MlpEncoderConfig};

type FlexAd = Autodiff<Flex<f32>>;

/// Two identical encoders (same seed); on the first, two calls of `encode`; on the second,
/// `encode_pair` with a fork. Features, running statistics and gradients must agree.
fn pair_matches_two_calls<B, M>(build: impl Fn() -> M, source: M::Input, target: M::Input)
where
    B: AutodiffBackend,
    M: Encoder<B> + AutodiffModule<B>,
{
    let _serial = serial();
    let device = B::Device::default();
    B::seed(&device, 11);
    let one = build();
    B::seed(&device, 11);
    let two = build();
    assert_eq!(weights(&one), weights(&two), "the two encoders start equal");

    B::seed(&device, 5);
    let z_s = one.encode(source.clone());
    let z_t = one.encode(target.clone());
    B::seed(&device, 5);
    let fork = two.clone().fork(&device);
    let (pair_s, pair_t) = two.encode_pair(source, &fork, target);

    // The same features, bit for bit: the same masks, drawn in the same order.
    assert_eq!(
        to_vec(z_s.clone()),
        to_vec(pair_s.clone()),
        "source features"
    );
    assert_eq!(
        to_vec(z_t.clone()),
        to_vec(pair_t.clone()),
        "target features"
    );

    // The same running statistics, folded in the same order (`valid` folds pending updates).
    assert_eq!(
        weights(&one.valid()),
        weights(&two.valid()),
        "parameters and running statistics"
    );

    // The gradient of one loss over both passes, against the sum over the two graphs.
    let [n_s, width] = z_s.dims();
    let [n_t, _] = z_t.dims();
    let w_s = input::<B, 2>([n_s, width], 21);
    let w_t = input::<B, 2>([n_t, width], 22);
    let loss = (z_s * w_s.clone()).sum() + (z_t * w_t.clone()).sum();
    let expected = parameter_gradients(&one, &loss.backward());
    let from_source = parameter_gradients(&two, &(pair_s * w_s).sum().backward());
    let from_target = parameter_gradients(&fork, &(pair_t * w_t).sum().backward());
    assert_eq!(expected.len(), from_source.len());
    assert_eq!(expected.len(), from_target.len());
    assert!(!expected.is_empty());
    for ((whole, s), t) in expected.iter().zip(&from_source).zip(&from_target) {
        let summed: Vec<f32> = s.iter().zip(t).map(|(a, b)| a + b).collect();
        let scale = whole.iter().fold(1.0_f32, |m, v| m.max(v.abs()));
        assert!(whole.iter().any(|v| *v != 0.0), "a gradient carries signal");
        assert!(
            max_abs_diff(whole, &summed) <= 1e-5 * scale,
            "gradients differ by {}",
            max_abs_diff(whole, &summed)
        );
    }
}

fn cnn_pair<B: AutodiffBackend + LoweringBackend>(algorithm: ConvAlgorithm) {
    let config = small_cnn([12, 10], [4, 6], 16)
        .with_latent_dim(8)
        .with_dropout(0.5)
        .with_conv_algorithm(algorithm);
    pair_matches_two_calls::<B, _>(
        || config.init::<B>(&Default::default()).unwrap(),
        input::<B, 4>([5, 1, 12, 10], 1),
        input::<B, 4>([3, 1, 12, 10], 2),
    );
}

shiftkit_testkit::test_cases! {
    cnn_pair_on_two_threads_matches_two_calls_on_flex => cnn_pair::<FlexAd>(ConvAlgorithm::Im2col);
    cnn_pair_on_two_threads_matches_two_calls_on_ndarray => cnn_pair::<Ad>(ConvAlgorithm::Im2col);
    cnn_pair_with_the_backend_convolution_matches_two_calls =>
        cnn_pair::<FlexAd>(ConvAlgorithm::Backend);
}

fn mlp_pair<B: AutodiffBackend + LoweringBackend>(masks: DropoutMasks) {
    let config = MlpEncoderConfig::new()
        .with_input_dim(12)
        .with_hidden_dims(vec![10, 9])
        .with_latent_dim(6)
        .with_dropout(0.5)
        .with_dropout_masks(masks);
    pair_matches_two_calls::<B, _>(
        || config.init::<B>(&Default::default()).unwrap(),
        input::<B, 2>([4, 12], 1),
        input::<B, 2>([6, 12], 2),
    );
}

shiftkit_testkit::test_cases! {
    mlp_pair_on_two_threads_matches_two_calls_on_flex => mlp_pair::<FlexAd>(DropoutMasks::Auto);
    mlp_pair_on_two_threads_matches_two_calls_on_ndarray => mlp_pair::<Ad>(DropoutMasks::Host);
    mlp_pair_with_the_backend_masks_matches_two_calls => mlp_pair::<FlexAd>(DropoutMasks::Backend);
}
