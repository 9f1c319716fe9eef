//! CDAN's pieces against their formulas in f64: the multilinear map's layout, CDAN+E's entropy
//! weights, and the gradients of the conditional domain loss (through the features, and through
//! the entropy weights when they carry one) against central finite differences.

use crate::common::serial;
use burn::backend::{Autodiff, NdArray};
use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use shiftkit_align::{
    conditional_domain_loss, entropy_weights, multilinear_map, reversed_entropy_weights,
    weighted_domain_loss,
};
use shiftkit_nn::DomainDiscriminatorConfig;
use shiftkit_testkit::{matrix, to_vec, values, vector};

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

/// `1 + exp(-H(p))` of one row of probabilities.
fn host_row_certainty(p: &[f64]) -> f64 {
    let h: f64 = -p.iter().map(|v| v * v.ln()).sum::<f64>();
    1.0 + (-h).exp()
}

/// The binary cross-entropy of each logit against its label.
fn host_bce(logits: &[f64], labels: &[f64]) -> Vec<f64> {
    logits
        .iter()
        .zip(labels)
        .map(|(x, t)| x.max(0.0) - x * t + (-x.abs()).exp().ln_1p())
        .collect()
}

fn host_entropy_weights(p: &[f64], k: usize, n_s: usize) -> Vec<f64> {
    let e: Vec<f64> = p.chunks(k).map(host_row_certainty).collect();
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
    let host_bce = host_bce(&to_vec(logits.clone()), &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
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

/// `1 + exp(-H(softmax(z)))` of one row of class logits.
fn host_certainty(z: &[f64]) -> f64 {
    let top = z.iter().cloned().fold(f64::MIN, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - top).exp()).collect();
    let sum: f64 = e.iter().sum();
    let p: Vec<f64> = e.iter().map(|v| v / sum).collect();
    host_row_certainty(&p)
}

#[test]
fn the_entropy_gradient_is_the_reversed_gradient_of_the_weighted_loss() {
    let _serial = serial();
    let (n, k, n_s, alpha) = (6, 3, 2, 0.7);
    let z: Vec<f64> = values(n * k, 11).iter().map(|v| 3.0 * v).collect();
    let domain = values(n, 12);
    let labels = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
    let bce = host_bce(&domain, &labels);
    // The loss as a function of the class logits, each domain's sum of certainties held at
    // its value here (the sums are constants in the loss).
    let c: Vec<f64> = z.chunks(k).map(host_certainty).collect();
    let sums = [c[..n_s].iter().sum::<f64>(), c[n_s..].iter().sum::<f64>()];
    let loss_of = |z: &[f64]| -> f64 {
        z.chunks(k)
            .enumerate()
            .map(|(i, row)| host_certainty(row) * bce[i] / (2.0 * sums[usize::from(i >= n_s)]))
            .sum()
    };
    let h = 1e-6;
    let fd: Vec<f64> = (0..z.len())
        .map(|i| {
            let (mut up, mut down) = (z.clone(), z.clone());
            up[i] += h;
            down[i] -= h;
            (loss_of(&up) - loss_of(&down)) / (2.0 * h)
        })
        .collect();
    assert!(fd.iter().any(|g| g.abs() > 1e-3));
    let logits = matrix::<Ad>(&z, n, k).require_grad();
    let weights = reversed_entropy_weights(softmax(logits.clone(), 1), n_s, alpha).unwrap();
    let loss = weighted_domain_loss(vector(&domain), vector(&labels), weights);
    // The same value as the constant weights give: only the gradient differs.
    let value = to_vec(loss.clone())[0];
    assert!(
        (value - loss_of(&z)).abs() < 1e-12,
        "{value} vs {}",
        loss_of(&z)
    );
    let got = to_vec(logits.grad(&loss.backward()).unwrap());
    for (i, (a, e)) in got.iter().zip(&fd).enumerate() {
        let e = -alpha * e;
        assert!(
            (a - e).abs() < 1e-6 * e.abs().max(1.0),
            "coordinate {i}: {a} vs {e}"
        );
    }
    // The constant weights pass nothing back.
    let logits = matrix::<Ad>(&z, n, k).require_grad();
    let weights = entropy_weights(softmax(logits.clone(), 1), n_s);
    let loss = weighted_domain_loss(vector(&domain), vector(&labels), weights);
    let grad = logits.grad(&loss.backward());
    assert!(grad.is_none_or(|g| to_vec(g).iter().all(|v| *v == 0.0)));
}
