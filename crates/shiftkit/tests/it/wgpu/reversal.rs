//! The gradient reversal on wgpu, in f32 (`backend::Wgpu`, autodiff over wgpu): the forward is
//! the identity, the backward is `-alpha` times the incoming gradient, and a gradient through
//! a small network equals the f64 computation on ndarray (where shiftkit-grl's suite checks it
//! against finite differences).

use burn::backend::{Autodiff, NdArray};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use shiftkit::backend::{Wgpu, WgpuInner};
use shiftkit::grl::{GradientReversalBackend, GradientReversalConfig, reverse_gradient};
use shiftkit_testkit::{assert_close, matrix, to_vec, values};

use super::adapter;

/// The f64 reference.
type Reference = Autodiff<NdArray<f64>>;

/// From no reversal to a large one.
const ALPHAS: [f64; 6] = [0.0, 1.0, 0.37, 5.0, 1e3, 1e6];
const ROWS: usize = 4;
const COLS: usize = 5;

/// Relative tolerance (of `max(1, |expected|)`) of an f32 gradient on wgpu against the f64
/// reference. Measured worst on lavapipe, over both inputs and every alpha: 1.1e-6 (f32
/// rounding through the matrix products and the log-softmax). The tolerance leaves a ninefold
/// margin.
const F32_TOLERANCE: f64 = 1e-5;

/// mean_i -log softmax(relu(x W1 + b1) W2 + b2)[i, y_i]: matrix products, a ReLU, a
/// log-softmax and a gather between the loss and the reversal.
fn network<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 1> {
    let (hidden, classes) = (6, 3);
    let w1 = matrix::<B>(&values(COLS * hidden, 21), COLS, hidden);
    let b1 = matrix::<B>(&values(hidden, 22), 1, hidden);
    let w2 = matrix::<B>(&values(hidden * classes, 23), hidden, classes);
    let b2 = matrix::<B>(&values(classes, 24), 1, classes);
    let labels = Tensor::<B, 1, Int>::from_data(
        TensorData::new(vec![0i64, 2, 1, 2], [ROWS]),
        &Default::default(),
    );
    let logits = relu(x.matmul(w1) + b1).matmul(w2) + b2;
    log_softmax(logits, 1)
        .gather(1, labels.reshape([ROWS, 1]))
        .mean()
        .neg()
}

/// The gradient reaching `x` through `network(grl_alpha(x))`, on backend `B`.
fn gradient<B: AutodiffBackend + GradientReversalBackend>(x: &[f64], alpha: f64) -> Vec<f64> {
    let input = matrix::<B>(x, ROWS, COLS).require_grad();
    let grads = network(reverse_gradient(input.clone(), alpha).unwrap()).backward();
    to_vec(input.grad(&grads).unwrap())
}

#[test]
fn forward_is_the_identity() {
    if !adapter() {
        return;
    }
    let x = values(ROWS * COLS, 31);
    let input = to_vec(matrix::<Wgpu>(&x, ROWS, COLS));
    for alpha in ALPHAS {
        let tracked = matrix::<Wgpu>(&x, ROWS, COLS).require_grad();
        assert_eq!(
            to_vec(reverse_gradient(tracked, alpha).unwrap()),
            input,
            "alpha = {alpha}"
        );
        // The plain backend's reversal (shiftkit-grl's feature `wgpu`) and the layer.
        let plain = matrix::<WgpuInner>(&x, ROWS, COLS);
        assert_eq!(
            to_vec(reverse_gradient(plain, alpha).unwrap()),
            input,
            "plain, alpha = {alpha}"
        );
        let layer = GradientReversalConfig::new()
            .with_alpha(alpha)
            .init()
            .unwrap();
        assert_eq!(
            to_vec(layer.forward(matrix::<Wgpu>(&x, ROWS, COLS))),
            input,
            "layer, alpha = {alpha}"
        );
    }
}

#[test]
fn backward_is_minus_alpha_times_the_incoming_gradient() {
    if !adapter() {
        return;
    }
    let x = values(ROWS * COLS, 32);
    // sum(u * grl(x)): the gradient arriving at the reversal is u.
    let u = values(ROWS * COLS, 33);
    let upstream = to_vec(matrix::<Wgpu>(&u, ROWS, COLS));
    for alpha in ALPHAS {
        let input = matrix::<Wgpu>(&x, ROWS, COLS).require_grad();
        let reversed = reverse_gradient(input.clone(), alpha).unwrap();
        let grads = (reversed * matrix::<Wgpu>(&u, ROWS, COLS)).sum().backward();
        let got = to_vec(input.grad(&grads).unwrap());
        let expected: Vec<f64> = upstream.iter().map(|g| -alpha * g).collect();
        // One f32 product a coordinate: within an f32 rounding of the exact value.
        assert_close(&got, &expected, 1e-6, &format!("alpha = {alpha}"));
        if alpha == 0.0 {
            assert!(
                got.iter().all(|g| *g == 0.0),
                "alpha = 0 stops the gradient"
            );
        }
    }
}

#[test]
fn gradient_through_a_network_matches_ndarray_in_f64() {
    if !adapter() {
        return;
    }
    let mut worst = 0.0_f64;
    for seed in [34, 35] {
        let x = values(ROWS * COLS, seed);
        for alpha in ALPHAS {
            let got = gradient::<Wgpu>(&x, alpha);
            let expected = gradient::<Reference>(&x, alpha);
            assert!(
                expected.iter().any(|g| g.abs() > 1e-3) || alpha == 0.0,
                "degenerate reference"
            );
            for (g, e) in got.iter().zip(&expected) {
                worst = worst.max((g - e).abs() / e.abs().max(1.0));
            }
            assert_close(
                &got,
                &expected,
                F32_TOLERANCE,
                &format!("seed {seed}, alpha = {alpha}"),
            );
        }
    }
    eprintln!("reversal on wgpu against ndarray in f64: worst relative difference {worst:e}");
}
