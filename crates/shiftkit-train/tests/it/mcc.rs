//! MCC's loss against its formula in f64, at its extremes, and its gradient against central
//! finite differences of the formula with the entropy weights held at their values (the term
//! treats them as constants).

use burn::backend::{Autodiff, NdArray};
use shiftkit_align::class_confusion;
use shiftkit_testkit::{assert_close, finite_differences, matrix, to_vec, values};

type Inner = NdArray<f64>;
type Ad = Autodiff<Inner>;

const TEMPERATURE: f64 = 2.5;

/// The softmax of each row of `z / t`, `k` classes.
fn host_softmax(z: &[f64], k: usize, t: f64) -> Vec<Vec<f64>> {
    z.chunks(k)
        .map(|row| {
            let top = row.iter().cloned().fold(f64::MIN, f64::max);
            let e: Vec<f64> = row.iter().map(|v| ((v - top) / t).exp()).collect();
            let sum: f64 = e.iter().sum();
            e.into_iter().map(|v| v / sum).collect()
        })
        .collect()
}

/// `W_ii = B (1 + exp(-H_i)) / sum_b (1 + exp(-H_b))` of the logits `z`.
fn host_weights(z: &[f64], k: usize, t: f64) -> Vec<f64> {
    let certainty: Vec<f64> = host_softmax(z, k, t)
        .iter()
        .map(|p| 1.0 + (p.iter().map(|v| v * v.ln()).sum::<f64>()).exp())
        .collect();
    let sum: f64 = certainty.iter().sum();
    let n = certainty.len() as f64;
    certainty.iter().map(|c| n * c / sum).collect()
}

/// MCC by its formula with the weights `w`: `C = Y^T W Y`, each row normalised, the
/// off-diagonal sum over `K`.
fn host_mcc(z: &[f64], k: usize, t: f64, w: &[f64]) -> f64 {
    let mut confusion = vec![vec![0.0; k]; k];
    for (p, wi) in host_softmax(z, k, t).iter().zip(w) {
        for (j, row) in confusion.iter_mut().enumerate() {
            for (l, c) in row.iter_mut().enumerate() {
                *c += wi * p[j] * p[l];
            }
        }
    }
    let off: f64 = confusion
        .iter()
        .enumerate()
        .map(|(j, row)| {
            let sum: f64 = row.iter().sum();
            row.iter()
                .enumerate()
                .filter(|&(l, _)| l != j)
                .map(|(_, c)| c / sum)
                .sum::<f64>()
        })
        .sum();
    off / k as f64
}

/// Logits of `n` rows of `k` classes, from uncertain (row 0) to confident.
fn logits(n: usize, k: usize, seed: u64) -> Vec<f64> {
    values(n * k, seed)
        .chunks(k)
        .enumerate()
        .flat_map(|(i, row)| row.iter().map(move |v| v * (1.0 + 2.0 * i as f64)))
        .collect()
}

fn mcc(z: &[f64], n: usize, k: usize) -> f64 {
    to_vec(class_confusion(matrix::<Inner>(z, n, k), TEMPERATURE))[0]
}

#[test]
fn mcc_matches_its_formula() {
    let (n, k) = (6, 4);
    let z = logits(n, k, 11);
    let w = host_weights(&z, k, TEMPERATURE);
    let expected = host_mcc(&z, k, TEMPERATURE, &w);
    assert_close(&[mcc(&z, n, k)], &[expected], 1e-12, "MCC");
    // The weights and the temperature matter here: without either the value is another.
    assert!((host_mcc(&z, k, TEMPERATURE, &[1.0; 6]) - expected).abs() > 1e-4);
    let plain = host_mcc(&z, k, 1.0, &host_weights(&z, k, 1.0));
    assert!((plain - expected).abs() > 1e-3);
}

#[test]
fn mcc_is_zero_for_one_hot_predictions_and_largest_for_uniform_ones() {
    let k = 3;
    let one_hot: Vec<f64> = (0..4)
        .flat_map(|i| (0..k).map(move |j| if j == i % k { 200.0 } else { 0.0 }))
        .collect();
    assert!(mcc(&one_hot, 4, k) < 1e-12);
    let uniform = vec![0.7; 4 * k];
    assert_close(&[mcc(&uniform, 4, k)], &[2.0 / 3.0], 1e-12, "uniform");
    // A class no row gives any probability (exp underflows): finite, not NaN (its row is the
    // predictions of the rows closest to it, the limit of a vanishing probability).
    let absent: Vec<f64> = (0..4)
        .flat_map(|i| [if i % 2 == 0 { 3000.0 } else { 0.0 }, 0.0, -3000.0])
        .collect();
    let loss = mcc(&absent, 4, k);
    assert!(loss.is_finite() && loss < 2.0 / 3.0, "{loss}");
}

#[test]
fn mcc_gradient_matches_finite_differences_with_the_weights_held() {
    let (n, k) = (5, 3);
    let z = logits(n, k, 5);
    let w = host_weights(&z, k, TEMPERATURE);
    let fd = finite_differences::<Inner>(|x| host_mcc(&to_vec(x), k, TEMPERATURE, &w), &z, n, k);
    assert!(fd.iter().any(|g| g.abs() > 1e-3));
    let x = matrix::<Ad>(&z, n, k).require_grad();
    let loss = class_confusion(x.clone(), TEMPERATURE);
    let got = to_vec(x.grad(&loss.backward()).unwrap());
    assert_close(&got, &fd, 1e-6, "dMCC/dz");
}

/// In f32, as training runs: an epoch's short last target batch (3 rows) of logits as far
/// apart as the MLP's grow on textured digits (up to about 120). Some classes then get a
/// probability of about `e^-80` in every row, and the confusion's row of such a class sums
/// to about 1e-35: dividing the row by its sum has a gradient of `-C / sum^2`, and the square
/// is 0 in f32, so the gradient was infinite or NaN (the loss itself finite), and the next
/// step's weights NaN. Computed without that division, the value and the gradient are finite
/// and equal the f64 computation's.
#[test]
fn mcc_stays_finite_in_f32_where_a_class_is_all_but_absent() {
    // flex, the default CPU backend: no test here runs it in f64, so its tensors stay f32.
    type F32 = Autodiff<burn::backend::Flex>;
    let (n, k) = (3, 10);
    // Rounded to f32 first, so that both computations see the same logits.
    let z: Vec<f64> = values(n * k, 2)
        .iter()
        .map(|v| f64::from((v * 120.0) as f32))
        .collect();
    let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
    let x = burn::tensor::Tensor::<F32, 2>::from_data(
        burn::tensor::TensorData::new(z32, [n, k]),
        &Default::default(),
    )
    .require_grad();
    assert_eq!(x.dtype(), burn::tensor::DType::F32);
    let loss = class_confusion(x.clone(), TEMPERATURE);
    let grad = to_vec(x.grad(&loss.backward()).unwrap());
    let value = to_vec(loss)[0];
    assert!(value.is_finite(), "loss {value}");
    assert!(grad.iter().all(|g| g.is_finite()), "gradient {grad:?}");
    let x = matrix::<Ad>(&z, n, k).require_grad();
    let loss = class_confusion(x.clone(), TEMPERATURE);
    let grad_f64 = to_vec(x.grad(&loss.backward()).unwrap());
    assert_close(&[value], &to_vec(loss), 1e-5, "f32 MCC");
    // The rows are confident, so the gradient is small: compared relative to its largest.
    let largest = grad_f64.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
    assert!(largest > 0.0);
    for (g, e) in grad.iter().zip(&grad_f64) {
        assert!((g - e).abs() <= 1e-3 * largest, "dMCC/dz: {g} against {e}");
    }
}
