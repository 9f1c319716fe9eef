//! The law of the reversal, checked against central finite differences in f64:
//!
//! ```text
//! autodiff( d f(grl_alpha(x)) / dx )  ==  -alpha * FD( df/dx )(x)
//! ```
//!
//! The forward of the GRL is the identity, so a finite difference taken *through* the GRL would
//! see +1: the reference gradient is taken on `f` alone, on the plain backend.

use crate::common;

use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use common::{Ad, Inner, assert_close, finite_differences, matrix, to_vec, values};
use shiftkit_grl::reverse_gradient;

const ALPHAS: [f64; 4] = [0.0, 1.0, 0.37, 5.0];
const ROWS: usize = 4;
const COLS: usize = 5;

/// f(x) = sum(x^2); df/dx = 2x.
fn sum_of_squares<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 1> {
    x.powi_scalar(2).sum()
}

/// f(x) = mean_i -log softmax(x W + b)[i, y_i]; df/dx = (softmax - onehot(y)) W^T / n.
fn linear_cross_entropy<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 1> {
    let classes = 3;
    let w = matrix::<B>(&values(COLS * classes, 11), COLS, classes);
    let b = matrix::<B>(&values(classes, 12), 1, classes);
    let labels = Tensor::<B, 1, Int>::from_data(
        TensorData::new(vec![0i64, 2, 1, 2], [ROWS]),
        &Default::default(),
    );
    let logp = log_softmax(x.matmul(w) + b, 1);
    let picked = logp.gather(1, labels.reshape([ROWS, 1]));
    picked.mean().neg()
}

/// f(x) = sum(c * (relu(x W1 + b1) W2 + b2)); df/dx = ((c W2^T) * 1[h > 0]) W1^T.
fn two_layer_mlp<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 1> {
    let hidden = 6;
    let out = 2;
    let w1 = matrix::<B>(&values(COLS * hidden, 21), COLS, hidden);
    let b1 = matrix::<B>(&values(hidden, 22), 1, hidden);
    let w2 = matrix::<B>(&values(hidden * out, 23), hidden, out);
    let b2 = matrix::<B>(&values(out, 24), 1, out);
    let c = matrix::<B>(&values(ROWS * out, 25), ROWS, out);
    let y = relu(x.matmul(w1) + b1).matmul(w2) + b2;
    (y * c).sum()
}

fn scalar(t: Tensor<Inner, 1>) -> f64 {
    to_vec(t)[0]
}

/// Checks the law for one function at every alpha.
fn check_law(
    f_ad: fn(Tensor<Ad, 2>) -> Tensor<Ad, 1>,
    f_plain: fn(Tensor<Inner, 2>) -> Tensor<Inner, 1>,
    seed: u64,
) {
    let x = values(ROWS * COLS, seed);
    let fd = finite_differences(|t| scalar(f_plain(t)), &x, ROWS, COLS);
    // The reference is not degenerate: the check would see a wrong sign or scale.
    assert!(
        fd.iter().any(|g| g.abs() > 1e-3),
        "finite differences are all ~0"
    );
    for alpha in ALPHAS {
        let input = matrix::<Ad>(&x, ROWS, COLS).require_grad();
        let loss = f_ad(reverse_gradient(input.clone(), alpha).unwrap());
        let grads = loss.backward();
        let got = to_vec(input.grad(&grads).unwrap());
        let expected: Vec<f64> = fd.iter().map(|g| -alpha * g).collect();
        assert_close(&got, &expected, 1e-6, &format!("alpha = {alpha}"));
    }
}

#[test]
fn sum_of_squares_gradient_is_reversed_and_scaled() {
    check_law(sum_of_squares::<Ad>, sum_of_squares::<Inner>, 1);
}

#[test]
fn cross_entropy_through_linear_gradient_is_reversed_and_scaled() {
    check_law(linear_cross_entropy::<Ad>, linear_cross_entropy::<Inner>, 2);
}

#[test]
fn two_layer_relu_mlp_gradient_is_reversed_and_scaled() {
    check_law(two_layer_mlp::<Ad>, two_layer_mlp::<Inner>, 3);
}

#[test]
fn finite_differences_through_the_reversal_see_the_identity() {
    // The forward is the identity: perturbing x moves f(grl(x)) exactly as it moves f(x).
    let x = values(ROWS * COLS, 4);
    let direct = finite_differences(|t| scalar(sum_of_squares(t)), &x, ROWS, COLS);
    let through = finite_differences(
        |t| {
            let t = Tensor::<Ad, 2>::from_inner(t);
            to_vec(sum_of_squares(reverse_gradient(t, 5.0).unwrap()))[0]
        },
        &x,
        ROWS,
        COLS,
    );
    assert_eq!(direct, through);
}

/// z feeds a classifier directly and a discriminator through the GRL. The gradient reaching z
/// is the classifier's own plus the discriminator's reversed: g_c - alpha * g_d.
#[test]
fn branch_gradient_is_classifier_minus_alpha_times_discriminator() {
    let z = values(ROWS * COLS, 5);
    let classifier = linear_cross_entropy::<Ad>;
    let discriminator = two_layer_mlp::<Ad>;
    let grad_of = |f: &dyn Fn(Tensor<Ad, 2>) -> Tensor<Ad, 1>| {
        let input = matrix::<Ad>(&z, ROWS, COLS).require_grad();
        let grads = f(input.clone()).backward();
        to_vec(input.grad(&grads).unwrap())
    };
    let g_c = grad_of(&classifier);
    let g_d = grad_of(&discriminator);
    for alpha in ALPHAS {
        let combined = grad_of(&|z: Tensor<Ad, 2>| {
            classifier(z.clone()) + discriminator(reverse_gradient(z, alpha).unwrap())
        });
        let expected: Vec<f64> = g_c.iter().zip(&g_d).map(|(c, d)| c - alpha * d).collect();
        assert_close(&combined, &expected, 1e-12, &format!("alpha = {alpha}"));
        // The classifier branch itself is untouched: with alpha = 0 only g_c remains.
        if alpha == 0.0 {
            assert_close(
                &combined,
                &g_c,
                0.0,
                "alpha = 0 leaves the classifier's gradient",
            );
        }
    }
}

/// Two reversals in sequence: (-a1) * (-a2) = +a1 a2.
#[test]
fn two_reversals_in_sequence_multiply_with_a_positive_sign() {
    let x = values(ROWS * COLS, 6);
    let plain = {
        let input = matrix::<Ad>(&x, ROWS, COLS).require_grad();
        let grads = two_layer_mlp(input.clone()).backward();
        to_vec(input.grad(&grads).unwrap())
    };
    for (a1, a2) in [(1.0, 1.0), (0.37, 5.0), (2.0, 0.5)] {
        let input = matrix::<Ad>(&x, ROWS, COLS).require_grad();
        let twice = reverse_gradient(reverse_gradient(input.clone(), a1).unwrap(), a2).unwrap();
        let grads = two_layer_mlp(twice).backward();
        let got = to_vec(input.grad(&grads).unwrap());
        let expected: Vec<f64> = plain.iter().map(|g| a1 * a2 * g).collect();
        assert_close(&got, &expected, 1e-12, &format!("alphas {a1}, {a2}"));
    }
}
