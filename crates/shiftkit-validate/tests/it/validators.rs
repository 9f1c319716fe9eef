//! Each validator on constructed cases with known answers, the domain classifier, the proxy
//! A-distance, PCA, and bad inputs.

use burn::backend::NdArray;
use burn::tensor::{Int, Tensor, TensorData};
use shiftkit_validate::{
    DomainClassifierConfig, Pca2, SndSpace, ValidateError, ValidationInputs, Validator,
    ValidatorConfig, cross_entropies, cross_fitted_density_ratios, dev_risk, entropy_score,
    information_maximization, iwcv_risk, pca_2d, proxy_a_distance, snd_score,
    soft_neighbourhood_density,
};

type B = NdArray;

/// A small seeded generator (SplitMix64 with Box-Muller) for test data.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        radius * (std::f64::consts::TAU * self.uniform()).cos()
    }

    /// `rows` Gaussian rows with the given per-column means and standard deviations.
    fn gaussian(&mut self, rows: usize, mean: &[f64], std: &[f64]) -> Vec<Vec<f64>> {
        (0..rows)
            .map(|_| {
                mean.iter()
                    .zip(std)
                    .map(|(m, s)| m + s * self.normal())
                    .collect()
            })
            .collect()
    }
}

fn tensor(rows: &[Vec<f64>]) -> Tensor<B, 2> {
    let columns = rows.first().map_or(0, Vec::len);
    let flat: Vec<f32> = rows.iter().flatten().map(|&v| v as f32).collect();
    Tensor::from_data(
        TensorData::new(flat, [rows.len(), columns]),
        &Default::default(),
    )
}

fn labels(values: &[i64]) -> Tensor<B, 1, Int> {
    Tensor::from_data(
        TensorData::new(values.to_vec(), [values.len()]),
        &Default::default(),
    )
}

/// One-hot logits: `scale` at class `class`, 0 elsewhere.
fn one_hot(class: usize, classes: usize, scale: f64) -> Vec<f64> {
    (0..classes)
        .map(|k| if k == class { scale } else { 0.0 })
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn entropy_ranks_a_confident_model_above_a_uniform_one() {
    let classes = 4;
    let confident: Vec<Vec<f64>> = (0..40)
        .map(|i| one_hot(i % classes, classes, 12.0))
        .collect();
    let uniform = vec![vec![0.0; classes]; 40];
    let confident_score = entropy_score(&tensor(&confident)).unwrap();
    let uniform_score = entropy_score(&tensor(&uniform)).unwrap();
    // Uniform predictions have entropy ln K; one-hot-like ones almost 0.
    assert!((uniform_score + (classes as f64).ln()).abs() < 1e-5);
    assert!(confident_score > -1e-3 && confident_score <= 0.0);
    assert!(confident_score > uniform_score);
    // Through the validator, with labels the confident model gets right.
    let inputs = |target: &[Vec<f64>]| {
        ValidationInputs::new(
            tensor(&confident),
            tensor(&confident),
            labels(&(0..40).map(|i| (i % classes) as i64).collect::<Vec<_>>()),
            tensor(&confident),
            tensor(target),
        )
        .unwrap()
    };
    let by_name: Validator = "entropy".parse().unwrap();
    assert!(
        by_name.score(&inputs(&confident)).unwrap() > by_name.score(&inputs(&uniform)).unwrap()
    );
}

#[test]
fn information_maximisation_is_zero_when_constant_and_ln_k_when_confident_and_balanced() {
    let classes = 5;
    // The same (non-uniform) prediction everywhere: H(mean p) = mean H(p).
    let constant = vec![vec![2.0, 1.0, 0.0, -1.0, 0.5]; 30];
    assert!(information_maximization(&tensor(&constant)).unwrap().abs() < 1e-6);
    // Confident predictions spread evenly over the classes: ln K - 0.
    let balanced: Vec<Vec<f64>> = (0..30)
        .map(|i| one_hot(i % classes, classes, 40.0))
        .collect();
    let im = information_maximization(&tensor(&balanced)).unwrap();
    assert!((im - (classes as f64).ln()).abs() < 1e-4, "{im}");
    // A collapsed confident model (one class for all) scores 0, as low as a constant one.
    let collapsed = vec![one_hot(2, classes, 40.0); 30];
    assert!(information_maximization(&tensor(&collapsed)).unwrap().abs() < 1e-4);
}

#[test]
fn snd_is_higher_for_clustered_points_than_for_noise() {
    // Expectation: with tau = 0.05, a point in a tight cluster of m points spreads its
    // similarity softmax evenly over its m - 1 cluster mates (entropy near ln(m - 1)),
    // while isotropic noise in 8 dimensions puts it on a few nearest neighbours.
    let mut rng = Rng(1);
    let dims = 8;
    let mut clustered = Vec::new();
    for cluster in 0..3 {
        let mut centre = vec![0.0; dims];
        centre[cluster] = 1.0;
        clustered.extend(rng.gaussian(30, &centre, &[0.01; 8]));
    }
    let noise = rng.gaussian(90, &[0.0; 8], &[1.0; 8]);
    let dense = soft_neighbourhood_density(&tensor(&clustered), 0.05).unwrap();
    let sparse = soft_neighbourhood_density(&tensor(&noise), 0.05).unwrap();
    assert!((dense - 29f64.ln()).abs() < 0.05, "clustered {dense}");
    assert!(sparse < dense - 1.0, "noise {sparse} vs clustered {dense}");
    assert!(sparse >= 0.0 && dense <= 89f64.ln());
    // The chunked computation matches the definition on a hand-checkable case: two
    // identical points and one orthogonal; the two see each other with weight ~1 (entropy
    // ~0), the third sees both alike (entropy ln 2).
    let three = tensor(&[vec![1.0, 0.0], vec![2.0, 0.0], vec![0.0, 1.0]]);
    let value = soft_neighbourhood_density(&three, 0.05).unwrap();
    assert!((value - 2f64.ln() / 3.0).abs() < 1e-6, "{value}");
}

#[test]
fn snd_on_probabilities_follows_the_predictions() {
    let classes = 3;
    let mut rng = Rng(2);
    // Confident, clustered predictions against predictions scattered over the simplex.
    let confident: Vec<Vec<f64>> = (0..60)
        .map(|i| {
            let mut row = one_hot(i % classes, classes, 8.0);
            row.iter_mut().for_each(|v| *v += 0.1 * rng.normal());
            row
        })
        .collect();
    let scattered = rng.gaussian(60, &[0.0; 3], &[3.0; 3]);
    let dense = snd_score(&tensor(&confident), 0.05).unwrap();
    let sparse = snd_score(&tensor(&scattered), 0.05).unwrap();
    assert!(dense > sparse, "{dense} vs {sparse}");
}

#[test]
fn dev_and_iwcv_equal_the_source_loss_when_the_domains_coincide() {
    let mut rng = Rng(3);
    let classes = 3;
    let features = rng.gaussian(200, &[0.0; 4], &[1.0; 4]);
    let logits = rng.gaussian(200, &[0.0; 3], &[2.0; 3]);
    let truth: Vec<i64> = (0..200).map(|i| (i % classes) as i64).collect();
    let plain = mean(&cross_entropies(&tensor(&logits), &labels(&truth)).unwrap());

    // The very same rows in both domains: the classifier cannot move from w = 0, every
    // ratio is exactly 1.
    let same = ValidationInputs::new(
        tensor(&features),
        tensor(&logits),
        labels(&truth),
        tensor(&features),
        tensor(&logits),
    )
    .unwrap();
    let ratios = cross_fitted_density_ratios(
        &tensor(&features),
        &tensor(&features),
        &DomainClassifierConfig::new(),
    )
    .unwrap();
    assert!(ratios.iter().all(|w| (w - 1.0).abs() < 1e-5), "{ratios:?}");
    let dev = Validator::Dev.score(&same).unwrap();
    let iwcv = Validator::Iwcv.score(&same).unwrap();
    assert!((dev + plain).abs() < 1e-4, "DEV {dev} vs -{plain}");
    assert!((iwcv + plain).abs() < 1e-4, "IWCV {iwcv} vs -{plain}");

    // A fresh sample of the same distribution: ratios near 1, DEV near the plain loss.
    let other = rng.gaussian(200, &[0.0; 4], &[1.0; 4]);
    let fresh = ValidationInputs::new(
        tensor(&features),
        tensor(&logits),
        labels(&truth),
        tensor(&other),
        tensor(&rng.gaussian(200, &[0.0; 3], &[2.0; 3])),
    )
    .unwrap();
    let dev = Validator::Dev.score(&fresh).unwrap();
    assert!((dev + plain).abs() < 0.05 * plain, "DEV {dev} vs -{plain}");
    // Deterministic.
    assert_eq!(Validator::Dev.score(&fresh).unwrap(), dev);
}

#[test]
fn importance_weighting_moves_the_risk_towards_the_target() {
    // One feature x; the model is right (loss ~0) for x < 0 and wrong (loss ~5) for x > 0.
    // Source x ~ N(0, 1), target x ~ N(1, 1): more target mass where the model is wrong.
    let mut rng = Rng(4);
    let n = 2000;
    let logits_for = |x: f64| {
        if x < 0.0 {
            vec![5.0, 0.0]
        } else {
            vec![0.0, 5.0]
        }
    };
    let source = rng.gaussian(n, &[0.0], &[1.0]);
    let target = rng.gaussian(n, &[1.0], &[1.0]);
    let source_logits: Vec<Vec<f64>> = source.iter().map(|x| logits_for(x[0])).collect();
    let target_logits: Vec<Vec<f64>> = target.iter().map(|x| logits_for(x[0])).collect();
    let all_zero = labels(&vec![0; n]);
    let losses = cross_entropies(&tensor(&source_logits), &all_zero).unwrap();
    let plain = mean(&losses);
    // The risk on the target, measured here with the (constructed) target labels.
    let target_risk = mean(&cross_entropies(&tensor(&target_logits), &all_zero).unwrap());
    let inputs = ValidationInputs::new(
        tensor(&source),
        tensor(&source_logits),
        all_zero,
        tensor(&target),
        tensor(&target_logits),
    )
    .unwrap();
    let iwcv = -Validator::Iwcv.score(&inputs).unwrap();
    let dev = -Validator::Dev.score(&inputs).unwrap();
    assert!(target_risk > plain + 1.0, "{target_risk} vs {plain}");
    assert!(
        (iwcv - target_risk).abs() < 0.5 * (plain - target_risk).abs(),
        "IWCV {iwcv}, target {target_risk}, plain {plain}"
    );
    assert!(
        (dev - target_risk).abs() < 0.5 * (plain - target_risk).abs(),
        "DEV {dev}, target {target_risk}, plain {plain}"
    );
}

#[test]
fn dev_matches_its_formula_on_numbers() {
    // L = w l = [0, 2, 6], mean 8/3; w = [1, 2, 3], mean 2, Var(w) = 1;
    // Cov(L, w) = ((-8/3)(-1) + (-2/3)(0) + (10/3)(1)) / 2 = 3; eta = -3;
    // DEV = 8/3 + (-3)(2) - (-3) = -1/3.
    let dev = dev_risk(&[0.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap();
    assert!((dev + 1.0 / 3.0).abs() < 1e-12, "{dev}");
    assert!((iwcv_risk(&[0.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap() - 8.0 / 3.0).abs() < 1e-12);
    // Constant weights: no control variate; nor for weights that differ by rounding only.
    assert!((dev_risk(&[1.0, 3.0], &[2.0, 2.0]).unwrap() - 4.0).abs() < 1e-12);
    let rounding = dev_risk(&[1.0, 3.0, 2.0], &[1.0, 1.0 + 1e-7, 1.0 - 2e-7]).unwrap();
    let iwcv = iwcv_risk(&[1.0, 3.0, 2.0], &[1.0, 1.0 + 1e-7, 1.0 - 2e-7]).unwrap();
    assert_eq!(rounding, iwcv);
    // Just above the threshold the correction applies.
    let varied = dev_risk(&[1.0, 3.0, 2.0], &[1.0, 1.01, 0.98]).unwrap();
    assert_ne!(
        varied,
        iwcv_risk(&[1.0, 3.0, 2.0], &[1.0, 1.01, 0.98]).unwrap()
    );
}

#[test]
fn proxy_a_distance_is_near_2_when_separable_and_near_0_when_identical() {
    let mut rng = Rng(5);
    let config = DomainClassifierConfig::new();
    let source = rng.gaussian(400, &[0.0; 4], &[1.0; 4]);
    let far = rng.gaussian(400, &[6.0, 0.0, 0.0, 0.0], &[1.0; 4]);
    let same = rng.gaussian(400, &[0.0; 4], &[1.0; 4]);
    let separable = proxy_a_distance(&tensor(&source), &tensor(&far), &config).unwrap();
    let identical = proxy_a_distance(&tensor(&source), &tensor(&same), &config).unwrap();
    assert!(separable > 1.95, "{separable}");
    assert!(identical.abs() < 0.3, "{identical}");

    // In 64 dimensions, with a shift of 3 standard deviations along one feature: the
    // gradient descent stays stable (its step follows the data's smoothness constant).
    let wide = |mean: f64, rng: &mut Rng| {
        let mut centre = vec![0.0; 64];
        centre[7] = mean;
        rng.gaussian(1000, &centre, &[1.0; 64])
    };
    let source = wide(0.0, &mut rng);
    let shifted =
        proxy_a_distance(&tensor(&source), &tensor(&wide(3.0, &mut rng)), &config).unwrap();
    let same = proxy_a_distance(&tensor(&source), &tensor(&wide(0.0, &mut rng)), &config).unwrap();
    // Bayes error of a 3-sigma shift: Phi(-1.5) = 6.7 %, so d_A is about 1.73 at best.
    assert!(shifted > 1.5 && shifted < 1.8, "{shifted}");
    assert!(same.abs() < 0.3, "{same}");
}

#[test]
fn the_domain_classifier_recovers_a_known_log_density_ratio() {
    // Source N(0, 1), target N(1, 1): ln(p_t / p_s)(x) = x - 1/2.
    let mut rng = Rng(6);
    let source = rng.gaussian(3000, &[0.0], &[1.0]);
    let target = rng.gaussian(3000, &[1.0], &[1.0]);
    let classifier = DomainClassifierConfig::new()
        .with_l2(0.0)
        .with_iterations(500)
        .fit(&tensor(&source), &tensor(&target))
        .unwrap();
    let logits = classifier
        .logits(&tensor(&[vec![-1.0], vec![0.5], vec![2.0]]))
        .unwrap();
    for (z, expected) in logits.iter().zip([-1.5, 0.0, 1.5]) {
        assert!((z - expected).abs() < 0.05, "{logits:?}");
    }
}

#[test]
fn pca_recovers_the_axis_of_a_stretched_gaussian() {
    let mut rng = Rng(7);
    let axis = [1.0 / 5f64.sqrt(), 2.0 / 5f64.sqrt(), 0.0];
    let points: Vec<Vec<f64>> = (0..2000)
        .map(|_| {
            let along = 5.0 * rng.normal();
            let noise = rng.gaussian(1, &[3.0, -1.0, 2.0], &[0.5; 3]).remove(0);
            (0..3).map(|i| noise[i] + along * axis[i]).collect()
        })
        .collect();
    let pca = Pca2::fit(&tensor(&points)).unwrap();
    let first = &pca.components()[0];
    let second = &pca.components()[1];
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    assert!(dot(first, &axis).abs() > 0.995, "{first:?}");
    assert!(dot(first, second).abs() < 1e-6);
    assert!((dot(second, second) - 1.0).abs() < 1e-9);
    let [v1, v2] = pca.variances();
    assert!((v1 / 25.25 - 1.0).abs() < 0.1, "{v1}");
    assert!((v2 / 0.25 - 1.0).abs() < 0.2, "{v2}");
    assert!((pca.mean()[0] - 3.0).abs() < 0.3);
    // Projections: as many points as rows, centred, spread along the first coordinate.
    let projected = pca_2d(&tensor(&points)).unwrap();
    assert_eq!(projected.len(), 2000);
    let spread = |k: usize| {
        projected
            .iter()
            .map(|p| f64::from(p[k]).powi(2))
            .sum::<f64>()
            / 2000.0
    };
    assert!(spread(0) > 50.0 * spread(1));
    assert_eq!(pca_2d(&tensor(&points)).unwrap(), projected);
}

#[test]
fn every_validator_scores_and_names_round_trip() {
    let mut rng = Rng(8);
    let inputs = ValidationInputs::new(
        tensor(&rng.gaussian(50, &[0.0; 6], &[1.0; 6])),
        tensor(&rng.gaussian(50, &[0.0; 3], &[1.0; 3])),
        labels(&(0..50).map(|i| i % 3).collect::<Vec<_>>()),
        tensor(&rng.gaussian(40, &[0.5; 6], &[1.0; 6])),
        tensor(&rng.gaussian(40, &[0.0; 3], &[1.0; 3])),
    )
    .unwrap();
    for validator in Validator::ALL {
        assert_eq!(validator.name().parse::<Validator>().unwrap(), validator);
        assert_eq!(
            validator
                .to_string()
                .to_uppercase()
                .parse::<Validator>()
                .unwrap(),
            validator
        );
        assert!(validator.score(&inputs).unwrap().is_finite(), "{validator}");
    }
    // Serialised by name, as in a selection report.
    for validator in Validator::ALL {
        let json = serde_json::to_string(&validator).unwrap();
        assert_eq!(json, format!("\"{}\"", validator.name()));
        assert_eq!(serde_json::from_str::<Validator>(&json).unwrap(), validator);
    }
    let on_features = ValidatorConfig::new().with_snd_space(SndSpace::Features);
    let saved = serde_json::to_string(&on_features).unwrap();
    assert!(saved.contains("\"features\""), "{saved}");
    assert_eq!(
        serde_json::from_str::<ValidatorConfig>(&saved).unwrap(),
        on_features
    );
    let features_snd = Validator::Snd.score_with(&inputs, &on_features).unwrap();
    assert!(features_snd.is_finite() && features_snd >= 0.0);
    assert!(matches!(
        "accuracy".parse::<Validator>(),
        Err(ValidateError::UnknownValidator(name)) if name == "accuracy"
    ));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let good = || tensor(&[vec![0.0, 1.0], vec![1.0, 0.0], vec![0.5, 0.5]]);
    let empty: Tensor<B, 2> = Tensor::zeros([0, 2], &Default::default());
    let three_labels = || labels(&[0, 1, 0]);
    assert!(matches!(
        entropy_score(&empty),
        Err(ValidateError::Empty { .. })
    ));
    assert!(matches!(
        entropy_score(&tensor(&[vec![0.0, f64::NAN]])),
        Err(ValidateError::NonFinite { row: 0, .. })
    ));
    assert!(matches!(
        information_maximization(&tensor(&[vec![0.0, 1.0], vec![f64::INFINITY, 0.0]])),
        Err(ValidateError::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        ValidationInputs::new(good(), good(), labels(&[0, 1]), good(), good()),
        Err(ValidateError::RowMismatch {
            what: "source labels",
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        ValidationInputs::new(good(), good(), labels(&[0, 1, 2]), good(), good()),
        Err(ValidateError::LabelOutOfRange {
            row: 2,
            label: 2,
            classes: 2,
            ..
        })
    ));
    assert!(matches!(
        ValidationInputs::new(
            good(),
            good(),
            three_labels(),
            tensor(&[vec![0.0, 1.0, 2.0]]),
            tensor(&[vec![0.0, 1.0]])
        ),
        Err(ValidateError::ColumnMismatch {
            what: "target features",
            expected: 2,
            found: 3
        })
    ));
    assert!(matches!(
        ValidationInputs::new(
            good(),
            good(),
            three_labels(),
            good(),
            tensor(&[vec![0.0, 1.0]])
        ),
        Err(ValidateError::RowMismatch {
            what: "target logits",
            ..
        })
    ));
    assert!(matches!(
        ValidationInputs::new(good(), good(), three_labels(), empty.clone(), empty.clone()),
        Err(ValidateError::Empty {
            what: "target features"
        })
    ));
    assert!(matches!(
        soft_neighbourhood_density(&good(), 0.0),
        Err(ValidateError::InvalidTemperature(_))
    ));
    assert!(matches!(
        soft_neighbourhood_density(&tensor(&[vec![1.0, 0.0]]), 0.05),
        Err(ValidateError::TooFewRows {
            needed: 2,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        proxy_a_distance(
            &good(),
            &tensor(&[vec![1.0, 0.0]]),
            &DomainClassifierConfig::new()
        ),
        Err(ValidateError::TooFewRows {
            what: "target features",
            ..
        })
    ));
    assert!(matches!(
        DomainClassifierConfig::new()
            .with_iterations(0)
            .fit(&good(), &good()),
        Err(ValidateError::NoIterations)
    ));
    assert!(matches!(
        DomainClassifierConfig::new()
            .with_l2(-1.0)
            .fit(&good(), &good()),
        Err(ValidateError::InvalidL2(_))
    ));
    assert!(matches!(
        iwcv_risk(&[1.0, 2.0], &[1.0]),
        Err(ValidateError::RowMismatch { .. })
    ));
    assert!(matches!(
        dev_risk(&[], &[]),
        Err(ValidateError::Empty { .. })
    ));
    assert!(matches!(
        dev_risk(&[1.0], &[f64::NAN]),
        Err(ValidateError::NonFinite { .. })
    ));
    assert!(matches!(
        Pca2::fit(&tensor(&[vec![1.0], vec![2.0]])),
        Err(ValidateError::TooFewColumns {
            needed: 2,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        Pca2::fit(&good())
            .unwrap()
            .project(&tensor(&[vec![1.0, 2.0, 3.0]])),
        Err(ValidateError::ColumnMismatch { .. })
    ));
}
