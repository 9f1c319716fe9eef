//! CDAN and CDAN+E: the discriminator conditioned on the classifier's predictions.

use burn::config::Config;
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::{
    RandomizedMap, conditional_domain_loss, multilinear_map, reversed_entropy_weights,
    weighted_domain_loss,
};
use shiftkit_grl::GradientReversalBackend;

use super::adversarial::Reversal;
use super::{AdaptationTerm, TermContext, TermInputs, TermOutput, domain_correct, domain_labels};
use crate::TrainError;
use crate::check::check_non_negative;

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
    random_map: Option<RandomizedMap<B>>,
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
            let (r, seed) = (self.config.random_dim, self.seed);
            self.random_map
                .get_or_insert_with(|| RandomizedMap::new(d, k, r, seed, &device))
                .forward(features, probabilities.clone())
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
