//! The lowered (im2col) convolution computes the same function as the backend's own, with the
//! same gradients: it is a faster route, not a different network.

use burn::backend::{Autodiff, NdArray};
use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use shiftkit_nn::{CnnEncoderConfig, ConvAlgorithm, Encoder};

type B = Autodiff<NdArray<f32>>;

#[test]
fn im2col_and_backend_convolutions_agree_in_value_and_gradient() {
    let device = Default::default();
    B::seed(&device, 7);
    // No dropout, so both passes see the same function.
    let config = CnnEncoderConfig::new().with_dropout(0.0);
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
    let x = Tensor::<B, 4>::random([3, 1, 28, 28], Distribution::Default, &device).require_grad();

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
}
