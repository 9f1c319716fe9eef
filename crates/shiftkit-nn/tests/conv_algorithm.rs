//! The lowered (im2col) convolution and row-wise batch norm compute the same function as the
//! backend's own, with the same gradients and running statistics: a faster route, not a
//! different network.

use burn::backend::{Autodiff, NdArray};
use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use shiftkit_nn::{CnnEncoderConfig, ConvAlgorithm, Encoder};

type B = Autodiff<NdArray<f32>>;

#[test]
fn im2col_and_backend_convolutions_agree_in_value_and_gradient() {
    agree_on([28, 28]);
}

/// Odd sizes: the padded-width lowering and pooling that drops the last row and column.
#[test]
fn lowered_and_backend_agree_on_odd_image_sizes() {
    agree_on([9, 11]);
}

fn agree_on(image_size: [usize; 2]) {
    let device = Default::default();
    B::seed(&device, 7);
    // No dropout, so both passes see the same function.
    let config = CnnEncoderConfig::new()
        .with_dropout(0.0)
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
    let x = Tensor::<B, 4>::random([3, 1, h, w], Distribution::Default, &device).require_grad();

    let z_lowered = lowered.encode(x.clone());
    let z_native = native.encode(x.clone());
    let a = z_lowered.to_data().to_vec::<f32>().unwrap();
    let b = z_native.to_data().to_vec::<f32>().unwrap();
    assert!(a.iter().any(|v| *v != 0.0));
    for (u, v) in a.iter().zip(&b) {
        assert!((u - v).abs() <= 1e-4 * v.abs().max(1.0), "{u} vs {v}");
    }

    let g_lowered = x
        .grad(&z_lowered.sum().backward())
        .unwrap()
        .to_data()
        .to_vec::<f32>()
        .unwrap();
    let g_native = x
        .grad(&z_native.sum().backward())
        .unwrap()
        .to_data()
        .to_vec::<f32>()
        .unwrap();
    assert!(g_native.iter().any(|v| *v != 0.0));
    for (u, v) in g_lowered.iter().zip(&g_native) {
        assert!((u - v).abs() <= 1e-4 * v.abs().max(1.0), "{u} vs {v}");
    }

    // Each encoder ran one training pass, so their batch-norm running statistics moved alike:
    // the evaluation-mode networks agree too.
    let x_eval = x.inner();
    let e_lowered = lowered
        .valid()
        .encode(x_eval.clone())
        .to_data()
        .to_vec::<f32>()
        .unwrap();
    let e_native = native
        .valid()
        .encode(x_eval)
        .to_data()
        .to_vec::<f32>()
        .unwrap();
    assert!(e_native.iter().any(|v| *v != 0.0));
    for (u, v) in e_lowered.iter().zip(&e_native) {
        assert!(
            (u - v).abs() <= 1e-4 * v.abs().max(1.0),
            "evaluation: {u} vs {v}"
        );
    }
}
