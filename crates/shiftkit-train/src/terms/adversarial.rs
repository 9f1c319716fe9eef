//! DANN's domain-adversarial term.

use burn::config::Config;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_grl::{GradientReversalBackend, GradientReversalConfig, GradientReversalLayer};

use super::{AdaptationTerm, TermContext, TermInputs, TermOutput, domain_correct, domain_labels};
use crate::TrainError;
use crate::check::{check_non_negative, check_positive};
use crate::schedule::scheduled_alpha;
use shiftkit_align::binary_cross_entropy_with_logits;

/// The configuration of [`DomainAdversarial`]: its weight. The reversal's final strength and
/// ramp are the run's ([`DannConfig::alpha`](crate::DannConfig::alpha),
/// [`schedule_alpha`](crate::DannConfig::schedule_alpha), [`gamma`](crate::DannConfig::gamma)),
/// and the discriminator is the run's ([`DannConfig::discriminator`](crate::DannConfig::discriminator)).
#[derive(Config, Debug, PartialEq)]
pub struct DomainAdversarialConfig {
    /// The weight of the domain loss. The default, 0.3, is the recommended regime's
    /// (ShiftKit's `domain_weight` defaults to 1.0).
    #[config(default = 0.3)]
    pub weight: f64,
}

impl DomainAdversarialConfig {
    /// Checks the weight.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `domain_weight` when it is negative or
    /// not finite.
    pub fn check(&self) -> Result<(), TrainError> {
        check_non_negative("domain_weight", self.weight)
    }

    /// The term, with the run's reversal.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds, and a bad alpha or gamma.
    pub fn init<B: AutodiffBackend>(
        &self,
        run: &TermContext<'_, B>,
    ) -> Result<DomainAdversarial<B>, TrainError> {
        DomainAdversarial::new(self.weight, run.alpha, run.reversal_ramp)
    }
}

/// Domain-adversarial training (DANN, Ganin et al., JMLR 2016): a domain discriminator `D`
/// reads the features through a gradient reversal of strength `alpha_p`,
///
/// ```text
/// L_domain = 1/(n_s + n_t) sum_i BCE(D(GRL_alpha_p(z_i)), d_i),   d = 0 (source), 1 (target)
/// alpha_p  = alpha * (2 / (1 + exp(-gamma p)) - 1)               (or alpha, unscheduled)
/// ```
///
/// so the discriminator learns to tell the domains apart while the encoder, receiving the
/// reversed gradient, learns features it cannot. The weight is constant.
#[derive(Debug)]
pub struct DomainAdversarial<B: AutodiffBackend> {
    weight: f64,
    reversal: Reversal,
    labels: Option<(usize, usize, Tensor<B, 1>)>,
}

/// The gradient reversal of an adversarial term and its schedule: final strength `alpha`,
/// ramped with steepness `gamma` when given, held constant otherwise.
#[derive(Debug)]
pub(crate) struct Reversal {
    alpha: f64,
    gamma: Option<f64>,
    grl: GradientReversalLayer,
}

impl Reversal {
    /// Checks `alpha` and `gamma` and builds the layer.
    pub(crate) fn new(alpha: f64, gamma: Option<f64>) -> Result<Self, TrainError> {
        check_non_negative("alpha", alpha)?;
        check_steepness(gamma)?;
        Ok(Self {
            alpha,
            gamma,
            grl: GradientReversalConfig::new().with_alpha(0.0).init()?,
        })
    }

    /// The strength at progress `p`.
    pub(crate) fn strength(&self, progress: f64) -> f64 {
        match self.gamma {
            Some(gamma) => scheduled_alpha(self.alpha, gamma, progress),
            None => self.alpha,
        }
    }

    /// `features` through the reversal at progress `p`, and the strength applied.
    pub(crate) fn forward<B: GradientReversalBackend>(
        &mut self,
        features: Tensor<B, 2>,
        progress: f64,
    ) -> Result<(Tensor<B, 2>, f64), TrainError> {
        let alpha = self.strength(progress);
        self.grl.set_alpha(alpha)?;
        Ok((self.grl.forward(features), alpha))
    }
}

impl<B: AutodiffBackend> DomainAdversarial<B> {
    /// The term with weight `weight` and final reversal strength `alpha`, ramped with
    /// steepness `gamma` when given (the paper's schedule), held constant otherwise.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a negative or non-finite weight, alpha or
    /// gamma.
    pub fn new(weight: f64, alpha: f64, gamma: Option<f64>) -> Result<Self, TrainError> {
        check_non_negative("domain_weight", weight)?;
        Ok(Self {
            weight,
            reversal: Reversal::new(alpha, gamma)?,
            labels: None,
        })
    }

    /// The reversal strength at progress `p`.
    pub fn alpha_at(&self, progress: f64) -> f64 {
        self.reversal.strength(progress)
    }
}

impl<B: AutodiffBackend + GradientReversalBackend> AdaptationTerm<B> for DomainAdversarial<B> {
    fn name(&self) -> &str {
        "domain"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn head_input(&self, latent_dim: usize, _num_classes: usize) -> Option<usize> {
        Some(latent_dim)
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let head = inputs
            .head()
            .ok_or(TrainError::MissingHead { term: "domain" })?;
        let (features, alpha) = self.reversal.forward(inputs.features(), inputs.progress)?;
        let logits = head.forward(features);
        let device = logits.device();
        let labels = domain_labels(&mut self.labels, inputs.batch_sizes(), &device);
        let correct = domain_correct(&logits, &labels);
        Ok(TermOutput {
            loss: binary_cross_entropy_with_logits(logits, labels).mean(),
            domain_correct: Some(correct),
            reversal: Some(alpha),
        })
    }
}

/// Checks a ramp's steepness `gamma`, when there is a ramp: finite and above 0.
pub(crate) fn check_steepness(gamma: Option<f64>) -> Result<(), TrainError> {
    gamma.map_or(Ok(()), |gamma| check_positive("gamma", gamma))
}
