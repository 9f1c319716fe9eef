//! CDAN's pieces against their formulas in f64: the multilinear map's layout, CDAN+E's entropy
//! weights, and the gradient of the conditional domain loss against central finite
//! differences.

use crate::common::serial;
use burn::backend::{Autodiff, NdArray};
use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use shiftkit_nn::DomainDiscriminatorConfig;
use shiftkit_testkit::{matrix, to_vec, values, vector};
use shiftkit_train::terms::{conditional_domain_loss, entropy_weights, multilinear_map};

type Inner = NdArray<f64>;
type Ad = Autodiff<Inner>;

/// Rows of softmax probabilities, some confident and some not.
fn predictions(n: usize, k: usize, seed: u64) -> Vec<f64> {
    let logits = values(n * k, seed);
    logits
        .chunks(k)
        .enumerate()
        .flat_map(|(i, row)| {
            let scale = 1.0 + 3.0 * i as f64;
            let e: Vec<f64> = row.iter().map(|v| (v * scale).exp()).collect();
            let sum: f64 = e.iter().sum();
            e.into_iter().map(move |v| v / sum)
        })
        .collect()
}

fn host_entropy_weights(p: &[f64], k: usize, n_s: usize) -> Vec<f64> {
    let e: Vec<f64> = p
        .chunks(k)
        .map(|row| {
            let h: f64 = -row.iter().map(|v| v * v.ln()).sum::<f64>();
            1.0 + (-h).exp()
        })
        .collect();
    let (s, t) = e.split_at(n_s);
    let (ss, ts): (f64, f64) = (s.iter().sum(), t.iter().sum());
    s.iter()
        .map(|v| v / ss)
        .chain(t.iter().map(|v| v / ts))
        .collect()
}

#[test]
fn the_multilinear_map_stacks_each_class_probability_times_the_features() {
    let _serial = serial();
    let (n, d, k) = (2, 3, 2);
    let f = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0];
    let g = [0.25, 0.75, 1.0, 0.0];
    let map = to_vec(multilinear_map(matrix::<Inner>(&f, n, d), matrix(&g, n, k)));
    assert_eq!(
        map,
        vec![
            0.25, 0.5, 0.75, 0.75, 1.5, 2.25, -1.0, 0.5, 4.0, 0.0, 0.0, 0.0
        ]
    );
}

#[test]
fn entropy_weights_match_their_formula() {
    let _serial = serial();
    let (n, k, n_s) = (7, 4, 3);
    let p = predictions(n, k, 5);
    let got = to_vec(entropy_weights(matrix::<Inner>(&p, n, k), n_s));
    let expected = host_entropy_weights(&p, k, n_s);
    for (a, e) in got.iter().zip(&expected) {
        assert!((a - e).abs() < 1e-12, "{got:?} vs {expected:?}");
    }
    // Not uniform: the confident rows weigh more.
    assert!(
        expected[..n_s]
            .iter()
            .any(|w| (w - 1.0 / n_s as f64).abs() > 1e-2)
    );
}

#[test]
fn cdan_e_weighs_confident_examples_more_and_equals_cdan_when_all_are_alike() {
    let _serial = serial();
    let (n, k, n_s) = (6, 3, 3);
    let logits = vector::<Inner>(&values(n, 9));
    let labels = vector::<Inner>(&[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let p = predictions(n, k, 2);
    let host_bce: Vec<f64> = to_vec(logits.clone())
        .iter()
        .zip([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        .map(|(x, t)| x.max(0.0) - x * t + (-x.abs()).exp().ln_1p())
        .collect();
    let weights = host_entropy_weights(&p, k, n_s);
    let expected: f64 = host_bce
        .iter()
        .zip(&weights)
        .map(|(l, w)| l * w)
        .sum::<f64>()
        / 2.0;
    let weighted = to_vec(conditional_domain_loss(
        logits.clone(),
        labels.clone(),
        Some(matrix(&p, n, k)),
        n_s,
    ))[0];
    assert!(
        (weighted - expected).abs() < 1e-12,
        "{weighted} vs {expected}"
    );
    let plain = to_vec(conditional_domain_loss(
        logits.clone(),
        labels.clone(),
        None,
        n_s,
    ))[0];
    let mean = host_bce.iter().sum::<f64>() / n as f64;
    assert!((plain - mean).abs() < 1e-12);
    assert!(
        (weighted - plain).abs() > 1e-4,
        "the weights must matter here"
    );
    // Every prediction equally certain, equal domains: the weights are uniform.
    let alike: Vec<f64> = (0..n).flat_map(|_| [0.2, 0.3, 0.5]).collect();
    let uniform = to_vec(conditional_domain_loss(
        logits,
        labels,
        Some(matrix(&alike, n, k)),
        n_s,
    ))[0];
    assert!((uniform - plain).abs() < 1e-12);
}

#[test]
fn the_conditional_loss_gradient_matches_finite_differences() {
    let _serial = serial();
    let (n, d, k, n_s) = (5, 3, 2, 2);
    let device = Default::default();
    <Ad as burn::tensor::backend::Backend>::seed(&device, 3);
    let head = DomainDiscriminatorConfig::new(d * k)
        .with_hidden_dim(4)
        .init::<Ad>(&device)
        .unwrap();
    let inner_head = head.valid();
    let p = predictions(n, k, 7);
    let labels = [0.0, 0.0, 1.0, 1.0, 1.0];
    let f = values(n * d, 4);
    let loss_inner = |x: Tensor<Inner, 2>| {
        let map = multilinear_map(x, matrix(&p, n, k));
        to_vec(conditional_domain_loss(
            inner_head.forward(map),
            vector(&labels),
            Some(matrix(&p, n, k)),
            n_s,
        ))[0]
    };
    let h = 1e-6;
    let fd: Vec<f64> = (0..f.len())
        .map(|i| {
            let (mut up, mut down) = (f.clone(), f.clone());
            up[i] += h;
            down[i] -= h;
            (loss_inner(matrix(&up, n, d)) - loss_inner(matrix(&down, n, d))) / (2.0 * h)
        })
        .collect();
    assert!(fd.iter().any(|g| g.abs() > 1e-3));
    let x = matrix::<Ad>(&f, n, d).require_grad();
    let map = multilinear_map(x.clone(), matrix(&p, n, k));
    let loss = conditional_domain_loss(
        head.forward(map),
        vector(&labels),
        Some(matrix(&p, n, k)),
        n_s,
    );
    let got = to_vec(x.grad(&loss.backward()).unwrap());
    for (i, (a, e)) in got.iter().zip(&fd).enumerate() {
        assert!(
            (a - e).abs() < 1e-6 * e.abs().max(1.0),
            "coordinate {i}: {a} vs {e}"
        );
    }
}
