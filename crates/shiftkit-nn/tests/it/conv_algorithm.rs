//! The lowered (im2col) convolution and row-wise batch norm compute the same function as the
//! backend's own, with the same gradients and running statistics: a faster route, not a
//! different network.

use crate::common;
use common::serial;

use burn::backend::{Autodiff, Flex, NdArray};
use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, Tensor};
use common::{parameter_gradients, to_vec};
use shiftkit_nn::kernels::LoweringBackend;
use shiftkit_nn::{CnnEncoderConfig, ConvAlgorithm, Encoder};

type B = Autodiff<NdArray<f32>>;

shiftkit_testkit::test_cases! {
    im2col_and_backend_convolutions_agree_in_value_and_gradient => agree_on::<B>([28, 28], 1);
    /// Odd sizes: pooling that drops the last row and column.
    lowered_and_backend_agree_on_odd_image_sizes => agree_on::<B>([9, 11], 1);
    /// Several input channels: the images are transposed to channel-major order first.
    lowered_and_backend_agree_with_several_input_channels => agree_on::<B>([8, 6], 3);
    /// The default CPU backend reads and writes the host buffers its own way.
    lowered_and_backend_agree_on_flex => agree_on::<Autodiff<Flex<f32>>>([12, 10], 2);
}

/// Builds the CNN with the lowered convolution and again, with the same weights, with the
/// backend's; checks that features, gradients and running statistics agree.
fn agree_on<B: AutodiffBackend + LoweringBackend>(image_size: [usize; 2], channels: usize)
where
    B::InnerBackend: LoweringBackend,
{
    let _serial = serial();
    let device = Default::default();
    B::seed(&device, 7);
    // No dropout, so both passes see the same function.
    let config = CnnEncoderConfig::new()
        .with_dropout(0.0)
        .with_in_channels(channels)
        .with_image_size(image_size);
    let lowered = config
        .clone()
        .with_conv_algorithm(ConvAlgorithm::Im2col)
        .init::<B>(&device)
        .unwrap();
    // The same weights, computed through the backend's convolution.
    let native = config
        .with_conv_algorithm(ConvAlgorithm::Backend)
        .init::<B>(&device)
        .unwrap()
        .load_record(lowered.clone().into_record());
    let [h, w] = image_size;
    let x =
        Tensor::<B, 4>::random([3, channels, h, w], Distribution::Default, &device).require_grad();

    let z_lowered = lowered.encode(x.clone());
    let z_native = native.encode(x.clone());
    assert_agree(
        &to_vec(z_lowered.clone()),
        &to_vec(z_native.clone()),
        "features",
    );

    // A loss that weighs every feature differently, so no gradient cancels by symmetry.
    let weights = Tensor::<B, 2>::random(z_lowered.dims(), Distribution::Default, &device);
    let grads_lowered = (z_lowered * weights.clone()).sum().backward();
    let grads_native = (z_native * weights).sum().backward();
    let g_lowered = x.grad(&grads_lowered).unwrap();
    let g_native = x.grad(&grads_native).unwrap();
    assert_agree(&to_vec(g_lowered), &to_vec(g_native), "input gradients");
    // Every parameter's gradient: convolution weights and biases, batch-norm scales and shifts,
    // and the dense layers behind them.
    let p_lowered = parameter_gradients::<B, _>(&lowered, &grads_lowered);
    let p_native = parameter_gradients::<B, _>(&native, &grads_native);
    assert_eq!(p_lowered.len(), p_native.len());
    assert!(p_lowered.len() >= 10, "{} parameters", p_lowered.len());
    for (i, (l, n)) in p_lowered.iter().zip(&p_native).enumerate() {
        assert_agree(l, n, &format!("gradient of parameter {i}"));
    }

    // Each encoder ran one training pass, so their batch-norm running statistics moved alike:
    // the evaluation-mode networks agree too.
    let x_eval = x.inner();
    assert_agree(
        &to_vec(lowered.valid().encode(x_eval.clone())),
        &to_vec(native.valid().encode(x_eval)),
        "evaluation",
    );
}

/// Both sides carry signal and agree element by element to 1e-4 (relative above 1).
fn assert_agree(lowered: &[f32], native: &[f32], what: &str) {
    assert_eq!(lowered.len(), native.len(), "{what}: lengths");
    assert!(
        lowered.iter().any(|v| *v != 0.0),
        "{what}: all zero (lowered)"
    );
    assert!(
        native.iter().any(|v| *v != 0.0),
        "{what}: all zero (backend)"
    );
    for (u, v) in lowered.iter().zip(native) {
        assert!(
            (u - v).abs() <= 1e-4 * v.abs().max(1.0),
            "{what}: {u} vs {v}"
        );
    }
}
