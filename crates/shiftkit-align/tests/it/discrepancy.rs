//! MMD and CORAL: each value against a host computation of its paper's formula in f64, each
//! gradient against central finite differences (with respect to source and target features),
//! and their typed errors.

use crate::common;

use burn::tensor::Tensor;
use common::{Ad, Inner, assert_close, finite_differences, matrix, to_vec, values};
use shiftkit_align::{AlignError, Domain, MmdConfig, MmdEstimator, coral, mmd2};

const M: usize = 6;
const N: usize = 5;
const D: usize = 3;

/// `x` as rows of width `d`.
fn rows(x: &[f64], d: usize) -> Vec<&[f64]> {
    x.chunks(d).collect()
}

/// The mean-of-Gaussians kernel on the host.
fn kernel(a: &[f64], b: &[f64], sigmas: &[f64]) -> f64 {
    let squared: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    sigmas
        .iter()
        .map(|s| (-squared / (2.0 * s * s)).exp())
        .sum::<f64>()
        / sigmas.len() as f64
}

/// MMD² on the host, straight from the definitions.
fn host_mmd(s: &[f64], t: &[f64], sigmas: &[f64], unbiased: bool) -> f64 {
    let (s, t) = (rows(s, D), rows(t, D));
    let within = |x: &[&[f64]]| {
        let n = x.len() as f64;
        let mut sum = 0.0;
        for (i, a) in x.iter().enumerate() {
            for (j, b) in x.iter().enumerate() {
                if !(unbiased && i == j) {
                    sum += kernel(a, b, sigmas);
                }
            }
        }
        sum / if unbiased { n * (n - 1.0) } else { n * n }
    };
    let mut cross = 0.0;
    for a in &s {
        for b in &t {
            cross += kernel(a, b, sigmas);
        }
    }
    within(&s) + within(&t) - 2.0 * cross / (s.len() * t.len()) as f64
}

/// The unbiased covariance on the host.
fn host_covariance(x: &[f64], d: usize) -> Vec<f64> {
    let r = rows(x, d);
    let n = r.len() as f64;
    let mean: Vec<f64> = (0..d)
        .map(|j| r.iter().map(|row| row[j]).sum::<f64>() / n)
        .collect();
    let mut c = vec![0.0; d * d];
    for row in &r {
        for a in 0..d {
            for b in 0..d {
                c[a * d + b] += (row[a] - mean[a]) * (row[b] - mean[b]) / (n - 1.0);
            }
        }
    }
    c
}

fn host_coral(s: &[f64], t: &[f64]) -> f64 {
    let (cs, ct) = (host_covariance(s, D), host_covariance(t, D));
    let frobenius: f64 = cs.iter().zip(&ct).map(|(a, b)| (a - b).powi(2)).sum();
    frobenius / (4.0 * (D * D) as f64)
}

fn sample() -> (Vec<f64>, Vec<f64>) {
    // Target shifted and scaled, so that every term matters.
    let s = values(M * D, 3);
    let t: Vec<f64> = values(N * D, 4).iter().map(|v| 1.5 * v + 0.4).collect();
    (s, t)
}

#[test]
fn mmd_unbiased_and_biased_match_their_formulas() {
    let (s, t) = sample();
    let sigmas = [0.5, 1.0, 2.0];
    for (estimator, unbiased) in [
        (MmdEstimator::Unbiased, true),
        (MmdEstimator::Biased, false),
    ] {
        let config = MmdConfig::new()
            .with_sigmas(sigmas.to_vec())
            .with_estimator(estimator);
        let got = to_vec(mmd2(matrix::<Inner>(&s, M, D), matrix(&t, N, D), &config).unwrap())[0];
        let expected = host_mmd(&s, &t, &sigmas, unbiased);
        assert_close(&[got], &[expected], 1e-12, "mmd");
    }
    // The two estimators differ here: the check above can tell them apart.
    assert!((host_mmd(&s, &t, &sigmas, true) - host_mmd(&s, &t, &sigmas, false)).abs() > 1e-3);
}

#[test]
fn the_default_is_unbiased_with_shiftkits_bandwidths() {
    let config = MmdConfig::new();
    assert_eq!(config.estimator, MmdEstimator::Unbiased);
    assert_eq!(config.sigmas, vec![0.1, 1.0, 5.0, 10.0, 50.0]);
    let (s, t) = sample();
    let got = to_vec(mmd2(matrix::<Inner>(&s, M, D), matrix(&t, N, D), &config).unwrap())[0];
    assert_close(
        &[got],
        &[host_mmd(&s, &t, &config.sigmas, true)],
        1e-12,
        "default",
    );
}

#[test]
fn unbiased_mmd_of_one_distribution_is_near_zero_on_average_and_biased_is_not() {
    // Pairs of samples of the same distribution: the U-statistic averages to the population
    // value, 0; the V-statistic carries its (1 - E k)/m + (1 - E k)/n floor (here ~0.016).
    let (m, d, pairs) = (100, 2, 20);
    let mean = |estimator| {
        let config = MmdConfig::new()
            .with_sigmas(vec![0.5])
            .with_estimator(estimator);
        (0..pairs)
            .map(|i| {
                let a = values(m * d, 100 + 2 * i);
                let b = values(m * d, 101 + 2 * i);
                to_vec(mmd2(matrix::<Inner>(&a, m, d), matrix(&b, m, d), &config).unwrap())[0]
            })
            .sum::<f64>()
            / pairs as f64
    };
    let unbiased = mean(MmdEstimator::Unbiased);
    let biased = mean(MmdEstimator::Biased);
    assert!(unbiased.abs() < 4e-3, "unbiased {unbiased}");
    assert!(biased > 1e-2, "biased {biased}");
}

#[test]
fn mmd_median_heuristic_scales_with_the_features() {
    // Scaling both domains by c leaves the median-heuristic MMD unchanged.
    let (s, t) = sample();
    let config = MmdConfig::new()
        .with_sigmas(vec![1.0])
        .with_median_heuristic(true);
    let at = |c: f64| {
        let scale = |x: &[f64]| x.iter().map(|v| v * c).collect::<Vec<_>>();
        to_vec(
            mmd2(
                matrix::<Inner>(&scale(&s), M, D),
                matrix(&scale(&t), N, D),
                &config,
            )
            .unwrap(),
        )[0]
    };
    assert_close(&[at(10.0)], &[at(1.0)], 1e-9, "scale invariance");
    // And it is the plain kernel at the median bandwidth: 2 sigma² = median distance².
    let all: Vec<&[f64]> = rows(&s, D).into_iter().chain(rows(&t, D)).collect();
    let mut distances = Vec::new();
    for (i, a) in all.iter().enumerate() {
        for (j, b) in all.iter().enumerate() {
            if i != j {
                distances.push(a.iter().zip(*b).map(|(x, y)| (x - y).powi(2)).sum::<f64>());
            }
        }
    }
    distances.sort_by(f64::total_cmp);
    let k = distances.len();
    let median = (distances[k / 2 - 1] + distances[k / 2]) / 2.0;
    let sigma = (median / 2.0).sqrt();
    assert_close(
        &[at(1.0)],
        &[host_mmd(&s, &t, &[sigma], true)],
        1e-9,
        "median bandwidth",
    );
}

/// Checks the gradients of `loss(source, target)` with respect to both inputs against central
/// finite differences.
fn check_gradients(
    loss_inner: impl Fn(Tensor<Inner, 2>, Tensor<Inner, 2>) -> Tensor<Inner, 1>,
    loss_ad: impl Fn(Tensor<Ad, 2>, Tensor<Ad, 2>) -> Tensor<Ad, 1>,
) {
    let (s, t) = sample();
    let fd_s = finite_differences(|x| to_vec(loss_inner(x, matrix(&t, N, D)))[0], &s, M, D);
    let fd_t = finite_differences(|x| to_vec(loss_inner(matrix(&s, M, D), x))[0], &t, N, D);
    assert!(fd_s.iter().chain(&fd_t).any(|g| g.abs() > 1e-4));
    let source = matrix::<Ad>(&s, M, D).require_grad();
    let target = matrix::<Ad>(&t, N, D).require_grad();
    let grads = loss_ad(source.clone(), target.clone()).backward();
    assert_close(
        &to_vec(source.grad(&grads).unwrap()),
        &fd_s,
        1e-6,
        "d/d source",
    );
    assert_close(
        &to_vec(target.grad(&grads).unwrap()),
        &fd_t,
        1e-6,
        "d/d target",
    );
}

#[test]
fn mmd_gradients_match_finite_differences() {
    let config = MmdConfig::new().with_sigmas(vec![0.5, 2.0]);
    check_gradients(
        |s, t| mmd2(s, t, &config).unwrap(),
        |s, t| mmd2(s, t, &config).unwrap(),
    );
}

#[test]
fn coral_matches_its_formula() {
    let (s, t) = sample();
    let got = to_vec(coral(matrix::<Inner>(&s, M, D), matrix(&t, N, D)).unwrap())[0];
    assert_close(&[got], &[host_coral(&s, &t)], 1e-12, "coral");
    assert!(got > 1e-4, "the sample must have a visible covariance gap");
    // One domain against itself: zero.
    let same = to_vec(coral(matrix::<Inner>(&s, M, D), matrix(&s, M, D)).unwrap())[0];
    assert!(same.abs() < 1e-15);
}

#[test]
fn coral_gradients_match_finite_differences() {
    check_gradients(|s, t| coral(s, t).unwrap(), |s, t| coral(s, t).unwrap());
}

#[test]
fn bad_inputs_are_typed_errors() {
    let a = matrix::<Inner>(&values(4 * D, 1), 4, D);
    let wide = matrix::<Inner>(&values(4 * (D + 1), 2), 4, D + 1);
    let one: Tensor<Inner, 2> = matrix(&values(D, 3), 1, D);
    let config = MmdConfig::new();
    assert!(matches!(
        mmd2(a.clone(), wide.clone(), &config),
        Err(AlignError::FeatureWidth { domain: Domain::Target, expected: D, actual }) if actual == D + 1
    ));
    assert!(matches!(
        coral(a.clone(), wide),
        Err(AlignError::FeatureWidth { .. })
    ));
    assert!(matches!(
        mmd2(one.clone(), a.clone(), &config),
        Err(AlignError::TooFewSamples {
            domain: Domain::Source,
            needed: 2,
            actual: 1
        })
    ));
    assert!(matches!(
        coral(a.clone(), one),
        Err(AlignError::TooFewSamples {
            domain: Domain::Target,
            ..
        })
    ));
    // A bandwidth whose 2 sigma^2 is no normal f32 gave NaN.
    for sigmas in [
        vec![],
        vec![1.0, 0.0],
        vec![f64::NAN],
        vec![-1.0],
        vec![1e-20],
    ] {
        let config = MmdConfig::new().with_sigmas(sigmas);
        assert!(matches!(
            mmd2(a.clone(), a.clone(), &config),
            Err(AlignError::InvalidBandwidth(_))
        ));
    }
    assert!(MmdConfig::new().with_sigmas(vec![1e-15]).check().is_ok());
    // Features of no width: an error, not a division by zero.
    let empty: Tensor<Inner, 2> = Tensor::zeros([3, 0], &Default::default());
    assert!(matches!(
        mmd2(empty.clone(), empty.clone(), &config),
        Err(AlignError::InvalidLatentDim(0))
    ));
    assert!(matches!(
        coral(empty.clone(), empty),
        Err(AlignError::InvalidLatentDim(0))
    ));
}
