//! CDAN and CDAN+E: the discriminator conditioned on the classifier's predictions.

use burn::config::Config;
use burn::tensor::activation::softmax;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use shiftkit_grl::{GradientReversalBackend, reverse_gradient};

use super::adversarial::Reversal;
use super::{AdaptationTerm, TermContext, TermInputs, TermOutput, domain_correct, domain_labels};
use crate::TrainError;
use crate::check::check_non_negative;
use crate::losses::binary_cross_entropy_with_logits;
use crate::seed::{GOLDEN_GAMMA, mix64};

/// The configuration of [`ConditionalAdversarial`]: its weight and the settings of its
/// conditioning map. The reversal and the discriminator are the run's, as for
/// [`DomainAdversarialConfig`](super::DomainAdversarialConfig).
#[derive(Config, Debug, PartialEq)]
pub struct ConditionalAdversarialConfig {
    /// The weight of the domain loss. The default, 0.6: the discriminator reads a map `K`
    /// times wider than DANN's, and on MNIST -> optdigits CDAN did better at 0.6 than at
    /// DANN's 0.3 or at 1.0 (docs/design.md).
    #[config(default = 0.6)]
    pub weight: f64,
    /// Weight each example by the certainty of its prediction (CDAN+E).
    #[config(default = false)]
    pub entropy: bool,
    /// With [`entropy`](Self::entropy): the weights pass the classifier a gradient, reversed
    /// with the features' strength, as the paper's code does (its `grl_hook` on the entropy);
    /// without it the weights are constants.
    #[config(default = false)]
    pub entropy_gradient: bool,
    /// Above this width `d * K`, the multilinear map is replaced by the randomized one, as the
    /// paper does for large maps.
    #[config(default = 4096)]
    pub max_multilinear_dim: usize,
    /// The width of the randomized map.
    #[config(default = 1024)]
    pub random_dim: usize,
}

/// Conditional domain adversarial training (CDAN, Long et al., NeurIPS 2018): the
/// discriminator reads the multilinear map of features `f` and softmax predictions `g`, so that
/// it aligns the joint distribution of features and classes, not the features alone:
///
/// ```text
/// T(f, g)  = vec(g ⊗ f) = (g_1 f, ..., g_K f)                            (d K wide)
/// T⊙(f, g) = (R_f f) ⊙ (R_g g) / sqrt(d_r)   R_f, R_g fixed N(0, 1) draws  (when d K > max)
/// L        = sum_i w_i BCE(D(T(GRL_alpha_p(f_i), g_i)), d_i) / sum_i w_i
/// ```
///
/// `g` is detached, as in the paper's code, so the reversed gradient reaches the encoder
/// through `f` only (which makes reversing `f` before the map the same as reversing `T`).
/// Without entropy conditioning `w_i = 1`. With it (CDAN+E) each example weighs
/// `e_i = 1 + exp(-H(g_i))`, `H(g) = -sum_k g_k log g_k`, normalised within its domain,
/// `w_i = e_i / sum_{j in domain(i)} e_j`, so that confident predictions, more likely right,
/// count more and both domains count the same. The weights are constants unless
/// [`ConditionalAdversarialConfig::entropy_gradient`] is set: then, as in the paper's code, `H` passes the
/// classifier its gradient reversed with strength `alpha_p` (the sums stay constants), which
/// lowers the entropy of the examples the discriminator tells apart best:
///
/// ```text
/// dL/dz_i = -alpha_p * d/dz_i [ e_i(z_i) BCE_i / (2 sum_{j in domain(i)} e_j) ]    z: class logits
/// ```
#[derive(Debug)]
pub struct ConditionalAdversarial<B: AutodiffBackend> {
    weight: f64,
    reversal: Reversal,
    config: ConditionalAdversarialConfig,
    seed: u64,
    labels: Option<(usize, usize, Tensor<B, 1>)>,
    random_map: Option<(Tensor<B, 2>, Tensor<B, 2>)>,
}

impl<B: AutodiffBackend> ConditionalAdversarial<B> {
    /// The term of `config`, with final reversal strength `alpha` (ramped with `gamma` when
    /// given) and the seed of its random map.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a negative or non-finite weight or alpha, a
    /// bad gamma, or a zero `random_dim`.
    pub fn new(
        config: ConditionalAdversarialConfig,
        alpha: f64,
        gamma: Option<f64>,
        seed: u64,
    ) -> Result<Self, TrainError> {
        config.check()?;
        Ok(Self {
            weight: config.weight,
            reversal: Reversal::new(alpha, gamma)?,
            config,
            seed,
            labels: None,
            random_map: None,
        })
    }

    fn randomized(&self, latent_dim: usize, num_classes: usize) -> bool {
        latent_dim * num_classes > self.config.max_multilinear_dim
    }

    /// The fixed random matrices `R_f` `[d, d_r]` and `R_g` `[K, d_r]`, drawn on the host from
    /// the term's seed on first use (independent of the backend's generator).
    fn random_map(
        &mut self,
        d: usize,
        k: usize,
        device: &B::Device,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let r = self.config.random_dim;
        let seed = self.seed;
        self.random_map
            .get_or_insert_with(|| {
                let draw = |rows: usize, stream: u64| {
                    let values = gaussian(rows * r, seed ^ stream.wrapping_mul(GOLDEN_GAMMA));
                    Tensor::from_data(TensorData::new(values, [rows, r]), device)
                };
                (draw(d, 1), draw(k, 2))
            })
            .clone()
    }
}

impl ConditionalAdversarialConfig {
    /// Checks the weight and the map's settings.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `domain_weight` when it is negative or
    /// not finite, or `cdan.random_dim` when it is 0.
    pub fn check(&self) -> Result<(), TrainError> {
        check_non_negative("domain_weight", self.weight)?;
        if self.random_dim == 0 {
            return Err(TrainError::InvalidHyperParameter {
                name: "cdan.random_dim",
                value: 0.0,
                expected: ">= 1",
            });
        }
        Ok(())
    }

    /// The term, with the run's reversal and seed.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds, and a bad alpha or gamma.
    pub fn init<B: AutodiffBackend>(
        &self,
        run: &TermContext<'_, B>,
    ) -> Result<ConditionalAdversarial<B>, TrainError> {
        ConditionalAdversarial::new(self.clone(), run.alpha, run.reversal_ramp, run.seed)
    }
}

impl<B: AutodiffBackend + GradientReversalBackend> AdaptationTerm<B> for ConditionalAdversarial<B> {
    fn name(&self) -> &str {
        "domain"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn head_input(&self, latent_dim: usize, num_classes: usize) -> Option<usize> {
        Some(if self.randomized(latent_dim, num_classes) {
            self.config.random_dim
        } else {
            latent_dim * num_classes
        })
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let head = inputs
            .head()
            .ok_or(TrainError::MissingHead { term: "cdan" })?;
        let (features, alpha) = self.reversal.forward(inputs.features(), inputs.progress)?;
        let [_, d] = features.dims();
        let logits = Tensor::cat(
            vec![inputs.source_logits.clone(), inputs.target_logits()],
            0,
        );
        let probabilities = softmax(logits.clone().detach(), 1);
        let k = inputs.num_classes;
        let device = features.device();
        let map = if self.randomized(d, k) {
            let (r_f, r_g) = self.random_map(d, k, &device);
            randomized_map(features, probabilities.clone(), &r_f, &r_g)
        } else {
            multilinear_map(features, probabilities.clone())
        };
        let domain_logits = head.forward(map);
        let (n_s, n_t) = inputs.batch_sizes();
        let labels = domain_labels(&mut self.labels, (n_s, n_t), &device);
        let correct = domain_correct(&domain_logits, &labels);
        let loss = match (self.config.entropy, self.config.entropy_gradient) {
            (false, _) => conditional_domain_loss(domain_logits, labels, None, n_s),
            (true, false) => {
                conditional_domain_loss(domain_logits, labels, Some(probabilities), n_s)
            }
            (true, true) => {
                let weights = reversed_entropy_weights(softmax(logits, 1), n_s, alpha)?;
                weighted_domain_loss(domain_logits, labels, weights)
            }
        };
        Ok(TermOutput {
            loss,
            domain_correct: Some(correct),
            reversal: Some(alpha),
        })
    }
}

/// CDAN's loss on the discriminator's logits: the mean binary cross-entropy against the
/// domain labels, or, given the predictions (CDAN+E), its entropy-weighted mean
/// `sum_i w_i BCE_i / sum_i w_i` with the weights of [`entropy_weights`] (which sum to 2).
///
/// # Shapes
///
/// - domain_logits, labels: `[N]` (the first `n_s` rows are the source)
/// - entropy_predictions: `[N, K]` probabilities
/// - output: `[1]`
pub fn conditional_domain_loss<B: Backend>(
    domain_logits: Tensor<B, 1>,
    labels: Tensor<B, 1>,
    entropy_predictions: Option<Tensor<B, 2>>,
    n_s: usize,
) -> Tensor<B, 1> {
    match entropy_predictions {
        Some(predictions) => {
            weighted_domain_loss(domain_logits, labels, entropy_weights(predictions, n_s))
        }
        None => binary_cross_entropy_with_logits(domain_logits, labels).mean(),
    }
}

/// `sum_i w_i BCE_i / 2`: the binary cross-entropy of the discriminator's logits weighted by
/// per-domain weights that sum to 1 in each domain ([`entropy_weights`],
/// [`reversed_entropy_weights`]).
///
/// # Shapes
///
/// - domain_logits, labels, weights: `[N]`
/// - output: `[1]`
pub fn weighted_domain_loss<B: Backend>(
    domain_logits: Tensor<B, 1>,
    labels: Tensor<B, 1>,
    weights: Tensor<B, 1>,
) -> Tensor<B, 1> {
    (binary_cross_entropy_with_logits(domain_logits, labels) * weights)
        .sum()
        .div_scalar(2.0)
}

/// The multilinear map `vec(g ⊗ f)` of each row: `[N, d]` features and `[N, K]` predictions
/// give `[N, K d]`, row `i` being `(g_i1 f_i, ..., g_iK f_i)`.
///
/// # Shapes
///
/// - features: `[N, d]`, predictions: `[N, K]`
/// - output: `[N, K d]`
pub fn multilinear_map<B: Backend>(
    features: Tensor<B, 2>,
    predictions: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [n, d] = features.dims();
    let [_, k] = predictions.dims();
    let outer = predictions.reshape([n, k, 1]) * features.reshape([n, 1, d]);
    outer.reshape([n, k * d])
}

/// The randomized multilinear map `(f R_f) ⊙ (g R_g) / sqrt(d_r)`.
fn randomized_map<B: Backend>(
    features: Tensor<B, 2>,
    predictions: Tensor<B, 2>,
    r_f: &Tensor<B, 2>,
    r_g: &Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [_, r] = r_f.dims();
    (features.matmul(r_f.clone()) * predictions.matmul(r_g.clone())).div_scalar((r as f64).sqrt())
}

/// CDAN+E's example weights: `e_i = 1 + exp(-H(g_i))`, normalised within each domain (the
/// first `n_s` rows are the source), so each domain's weights sum to 1. Detached.
///
/// # Shapes
///
/// - predictions: `[N, K]` probabilities (rows sum to 1)
/// - output: `[N]`
pub fn entropy_weights<B: Backend>(predictions: Tensor<B, 2>, n_s: usize) -> Tensor<B, 1> {
    per_domain(certainty(entropy(predictions.detach())), n_s)
}

/// CDAN+E's example weights as the paper's code computes them: those of [`entropy_weights`],
/// but the entropy passes its gradient back to `predictions` reversed and scaled by `alpha`;
/// the per-domain sums are constants.
///
/// # Errors
///
/// [`TrainError::Reversal`] for a negative or non-finite `alpha`.
///
/// # Shapes
///
/// - predictions: `[N, K]` probabilities (rows sum to 1)
/// - output: `[N]`
pub fn reversed_entropy_weights<B: GradientReversalBackend>(
    predictions: Tensor<B, 2>,
    n_s: usize,
    alpha: f64,
) -> Result<Tensor<B, 1>, TrainError> {
    let entropy = reverse_gradient(entropy(predictions), alpha)?;
    Ok(per_domain(certainty(entropy), n_s))
}

/// `H(g_i) = -sum_k g_ik log g_ik` of each row, `[N, K]` to `[N]`.
fn entropy<B: Backend>(p: Tensor<B, 2>) -> Tensor<B, 1> {
    let [n, _] = p.dims();
    // 0 log 0 = 0: the clamp only keeps the log finite where p is 0.
    (p.clone() * p.clamp_min(1e-12).log())
        .sum_dim(1)
        .neg()
        .reshape([n])
}

/// `1 + exp(-H)`.
fn certainty<B: Backend>(entropy: Tensor<B, 1>) -> Tensor<B, 1> {
    entropy.neg().exp().add_scalar(1.0)
}

/// Each domain's values divided by that domain's sum (the sums held constant).
fn per_domain<B: Backend>(values: Tensor<B, 1>, n_s: usize) -> Tensor<B, 1> {
    let [n] = values.dims();
    let source = values.clone().slice(0..n_s);
    let target = values.slice(n_s..n);
    let source = source.clone().div(source.sum().detach());
    let target = target.clone().div(target.sum().detach());
    Tensor::cat(vec![source, target], 0)
}

/// `n` standard normal draws (Box-Muller over SplitMix64), deterministic for `seed`.
fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(GOLDEN_GAMMA);
        let z = mix64(state);
        // A uniform in (0, 1]: 53 bits, shifted off zero.
        ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (next(), next());
            ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
        })
        .collect()
}
