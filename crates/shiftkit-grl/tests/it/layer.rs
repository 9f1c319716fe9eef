//! The module, its configuration, its errors, and tracking.

use crate::common;

use burn::backend::ndarray::NdArrayTensor;
use burn::config::Config;
use burn::tensor::Tensor;
use burn::tensor::TensorMetadata;
use common::{Ad, Inner, matrix, to_vec, values};
use shiftkit_grl::{GradientReversalConfig, GrlError, reverse_gradient};

#[test]
fn default_alpha_is_one() {
    let layer = GradientReversalConfig::new().init().unwrap();
    assert_eq!(layer.alpha(), 1.0);
}

#[test]
fn layer_gradient_follows_its_alpha_as_it_changes() {
    let x = values(6, 1);
    let mut layer = GradientReversalConfig::new()
        .with_alpha(2.0)
        .init()
        .unwrap();
    for alpha in [2.0, 0.0, 0.25, -1.5] {
        layer.set_alpha(alpha).unwrap();
        let input = matrix::<Ad>(&x, 2, 3).require_grad();
        let grads = layer.forward(input.clone()).sum().backward();
        let got = to_vec(input.grad(&grads).unwrap());
        assert_eq!(got, vec![-alpha; 6], "alpha = {alpha}");
    }
}

#[test]
fn non_finite_alpha_is_an_error() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            GradientReversalConfig::new().with_alpha(bad).init(),
            Err(GrlError::NonFiniteAlpha(_))
        ));
        let x = matrix::<Ad>(&values(4, 2), 2, 2);
        assert!(matches!(
            reverse_gradient(x, bad),
            Err(GrlError::NonFiniteAlpha(_))
        ));
        let mut layer = GradientReversalConfig::new()
            .with_alpha(0.5)
            .init()
            .unwrap();
        assert!(matches!(
            layer.set_alpha(bad),
            Err(GrlError::NonFiniteAlpha(_))
        ));
        assert_eq!(
            layer.alpha(),
            0.5,
            "a rejected alpha leaves the previous one"
        );
    }
}

#[test]
fn config_round_trips_through_json() {
    let config = GradientReversalConfig::new().with_alpha(0.37);
    let json = config.to_string();
    let back = GradientReversalConfig::load_binary(json.as_bytes()).unwrap();
    assert_eq!(back, config);
}

/// The autodiff requirement of a tensor's graph node ("None", "Grad", "GradInBackward").
fn requirement(t: Tensor<Ad, 2>) -> String {
    format!("{:?}", t.into_primitive().tensor().node.requirement)
}

/// Where the tensor's values live in memory.
fn data_address(t: Tensor<Ad, 2>) -> usize {
    match t.into_primitive().tensor().primitive {
        NdArrayTensor::F64(storage) => storage.view().as_ptr() as usize,
        other => panic!("expected f64 storage, got {:?}", other.dtype()),
    }
}

#[test]
fn untracked_input_stays_untracked() {
    let input = matrix::<Ad>(&values(6, 3), 2, 3);
    let output = reverse_gradient(input, 1.0).unwrap();
    assert_eq!(requirement(output.clone()), "None");
    // Downstream of an untracked reversal, a tracked branch still gets its own gradient.
    let w = matrix::<Ad>(&values(6, 4), 3, 2).require_grad();
    let grads = output.clone().matmul(w.clone()).sum().backward();
    let dw = to_vec(w.grad(&grads).unwrap());
    // d/dW sum(out W) = out^T 1: the column sums of out, repeated for each output column.
    let out = to_vec(output);
    let col: Vec<f64> = (0..3).map(|j| out[j] + out[3 + j]).collect();
    assert_eq!(dw, vec![col[0], col[0], col[1], col[1], col[2], col[2]]);
}

#[test]
fn tracked_input_gives_a_tracked_output() {
    let input = matrix::<Ad>(&values(6, 5), 2, 3).require_grad();
    assert_eq!(requirement(input.clone()), "Grad");
    assert_eq!(
        requirement(reverse_gradient(input, 1.0).unwrap()),
        "GradInBackward"
    );
}

#[test]
fn forward_hands_back_the_input_buffer_itself() {
    for tracked in [false, true] {
        let mut input = matrix::<Ad>(&values(6, 8), 2, 3);
        if tracked {
            input = input.require_grad();
        }
        let before = data_address(input.clone());
        let output = reverse_gradient(input.clone(), 0.37).unwrap();
        assert_eq!(
            data_address(output),
            before,
            "tracked = {tracked}: the forward copied"
        );
    }
}

#[cfg(feature = "ndarray")]
#[test]
fn on_a_plain_backend_the_layer_is_the_identity() {
    let x = values(6, 6);
    let input: Tensor<Inner, 2> = matrix(&x, 2, 3);
    let layer = GradientReversalConfig::new()
        .with_alpha(3.0)
        .init()
        .unwrap();
    assert_eq!(to_vec(layer.forward(input)), x);
}

#[test]
fn the_inner_module_keeps_alpha() {
    use burn::module::AutodiffModule;
    let layer = GradientReversalConfig::new()
        .with_alpha(0.7)
        .init()
        .unwrap();
    let valid = <shiftkit_grl::GradientReversalLayer as AutodiffModule<Ad>>::valid(&layer);
    assert_eq!(valid.alpha(), 0.7);
}
