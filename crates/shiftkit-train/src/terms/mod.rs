//! Adaptation terms: the losses that a run adds to the source cross-entropy.
//!
//! A run minimises `CE(classify(z_s), y_s) + sum_i w_i(p) L_i`, one [`AdaptationTerm`] per `L_i`.
//! Each term reads the step's features and logits ([`TermInputs`]), keeps its own state (MSTN's
//! target centroids, CDAN's random map), and has its own weight schedule `w_i(p)` over the
//! adaptation progress `p` in `[0, 1]`. The trainer encodes each batch once, asks each term for its
//! loss, checks the total, differentiates the total (on the CPU backends, split between the two
//! domains' graphs on two threads:
//! [`DannConfig::parallel_domains`](crate::DannConfig::parallel_domains)), steps the optimiser
//! once, and only then tells every term to [`commit`](AdaptationTerm::commit) its new state (or
//! [`discard`](AdaptationTerm::discard) it, when a loss was not finite).
//!
//! The terms shipped: [`DomainAdversarial`] (DANN), [`ConditionalAdversarial`] (CDAN and CDAN+E),
//! [`CentroidAlignment`] (MSTN), [`MeanDiscrepancy`] (MMD, as in DAN), [`CovarianceAlignment`]
//! (CORAL) and [`ClassConfusion`] (MCC). Each has a configuration type beside it (its weight
//! and settings), and a run's [`DannConfig::terms`](crate::DannConfig::terms) lists them as
//! [`TermConfig`]s, which the trainer builds into terms ([`TermConfig::init`]). A term of
//! your own skips the list and is handed to the trainer built
//! ([`DannTrainer::with_term`](crate::DannTrainer::with_term)); from there every term takes the
//! same route: run in order, weighted, summed, and its mean loss recorded under its
//! [`name`](AdaptationTerm::name) ([`EpochRecord::losses`](crate::EpochRecord::losses)).
//! [`Method`](crate::Method) names the usual lists.
//!
//! # Why a trait
//!
//! An enum of the known terms would be closed: a user could not add a term without editing
//! this crate. A trait object per term keeps the step generic (`Vec<Box<dyn
//! AdaptationTerm<B>>>`), lets a user's term from outside the crate train through the same
//! trainer ([`DannTrainer::with_term`](crate::DannTrainer::with_term)), and keeps each term's
//! state private to it. The price is that a term cannot own trainable parameters of its own:
//! Burn's optimiser updates one `Module`, and a trait object is not one. The trainer therefore
//! owns the one trainable head adversarial methods need, the domain discriminator, and hands
//! it to the term that asks for it ([`AdaptationTerm::head_input`]).

mod adversarial;
mod cdan;
mod config;
mod context;
mod coral;
mod mcc;
mod mmd;
mod mstn;

use std::any::Any;
use std::cell::OnceCell;

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use shiftkit_nn::DomainDiscriminator;

pub use adversarial::{DomainAdversarial, DomainAdversarialConfig};
pub use cdan::{ConditionalAdversarial, ConditionalAdversarialConfig};
pub use config::TermConfig;
pub use context::TermContext;
pub use coral::{CovarianceAlignment, CovarianceAlignmentConfig};
pub use mcc::{ClassConfusion, ClassConfusionConfig};
pub use mmd::{MeanDiscrepancy, MeanDiscrepancyConfig};
pub use mstn::{CentroidAlignment, CentroidAlignmentConfig};

use crate::TrainError;
use shiftkit_peers::Peers;

/// A loss term of domain adaptation, with its own state and weight schedule.
///
/// The trainer calls, in each adaptation step (not during warmup, where only the
/// cross-entropy trains): [`weight`](Self::weight), then [`loss`](Self::loss); after the
/// optimiser step [`commit`](Self::commit), or [`discard`](Self::discard) when the step was
/// rejected. State a term changes in `loss` must stay pending until `commit`. `fit` reads the
/// losses only every few steps ([`reads`](crate::reads)): before such a window of steps it
/// calls [`settle`](Self::settle), and when the window holds a non-finite loss,
/// [`roll_back`](Self::roll_back).
///
/// Terms run in the order they were added, and random draws (dropout in the discriminator)
/// happen in that order, so a run is reproducible for a seed.
pub trait AdaptationTerm<B: AutodiffBackend>: Any + Send {
    /// The term's name, its key in the history and the step reports: `"domain"` for the
    /// adversarial terms, `"semantic"` for MSTN, `"mmd"`, `"coral"`, `"mcc"`, or a name of your
    /// own.
    fn name(&self) -> &str;

    /// The weight of the term at adaptation progress `p` in `[0, 1]`.
    fn weight(&self, progress: f64) -> f64;

    /// The input width of the trainable head (the domain discriminator) this term trains, if
    /// it uses one: the trainer builds the discriminator with that width and passes it in
    /// [`TermInputs::head`]. At most one term of a run may ask.
    fn head_input(&self, latent_dim: usize, num_classes: usize) -> Option<usize> {
        let _ = (latent_dim, num_classes);
        None
    }

    /// The unweighted loss of this step, `[1]`, with what else it measured.
    ///
    /// # Errors
    ///
    /// Any [`TrainError`]; the step is then abandoned and every term's pending state
    /// discarded.
    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError>;

    /// Keeps the state computed by the last [`loss`](Self::loss): the step was applied.
    fn commit(&mut self) {}

    /// Drops the state computed by the last [`loss`](Self::loss): the step was rejected.
    fn discard(&mut self) {}

    /// The steps committed so far are known to be good: keep the committed state as the one
    /// [`roll_back`](Self::roll_back) returns to. Called when `fit` opens a read window
    /// (every [`READ_EVERY`](crate::READ_EVERY) steps; see [`reads`](crate::reads)). The
    /// default keeps nothing, right for a term without state.
    fn settle(&mut self) {}

    /// A step committed since the last [`settle`](Self::settle) had a non-finite loss: go
    /// back to the state of that settle. A term with state must implement it (with
    /// `settle`), or a non-finite loss leaves its state as the failed window made it.
    fn roll_back(&mut self) {}

    /// The committed state a checkpoint must keep, as JSON; `None` (the default) for a term
    /// whose state is rebuilt from its configuration. Float values written through
    /// `serde_json` from `f32` (or as `f64`) read back exactly.
    fn state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Takes back what [`state`](Self::state) returned, when a run is resumed. Check it
    /// before changing anything: on an error the term must be as it was.
    ///
    /// # Errors
    ///
    /// [`TrainError::TermState`] for a state of another shape or kind (the default: this term
    /// keeps no state).
    fn load_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        let _ = state;
        Err(TrainError::TermState {
            term: self.name().to_string(),
            problem: "this term keeps no state".to_string(),
        })
    }
}

/// What a term returns from one step.
#[derive(Debug, Clone)]
pub struct TermOutput<B: AutodiffBackend> {
    /// The unweighted loss, `[1]`, differentiable.
    pub loss: Tensor<B, 1>,
    /// For an adversarial term: how many of the discriminator's domain guesses were right,
    /// `[1]` (detached), out of `n_s + n_t`; reported as `disc_acc`.
    pub domain_correct: Option<Tensor<B, 1>>,
    /// For an adversarial term: the reversal strength it applied, reported as `alpha`.
    pub reversal: Option<f64>,
}

impl<B: AutodiffBackend> TermOutput<B> {
    /// A plain loss with nothing else to report.
    pub fn loss(loss: Tensor<B, 1>) -> Self {
        Self {
            loss,
            domain_correct: None,
            reversal: None,
        }
    }
}

/// What a term reads in one step: features, logits and labels of the two domains. Target
/// labels are never here.
pub struct TermInputs<'a, B: AutodiffBackend> {
    /// Source features `z_s`, `[n_s, latent_dim]`.
    pub source_features: &'a Tensor<B, 2>,
    /// Source labels, `[n_s]`, in `[0, num_classes)`.
    pub source_labels: &'a Tensor<B, 1, Int>,
    /// Source class logits `classify(z_s)`, `[n_s, num_classes]`.
    pub source_logits: &'a Tensor<B, 2>,
    /// Target features `z_t`, `[n_t, latent_dim]`.
    pub target_features: &'a Tensor<B, 2>,
    /// The adaptation progress `p` in `[0, 1]` that the schedules follow.
    pub progress: f64,
    /// The number of classes.
    pub num_classes: usize,
    pub(crate) joint_features: Option<&'a Tensor<B, 2>>,
    pub(crate) classify: &'a dyn Fn(Tensor<B, 2>) -> Tensor<B, 2>,
    pub(crate) target_logits: OnceCell<Tensor<B, 2>>,
    pub(crate) head: Option<&'a DomainDiscriminator<B>>,
    pub(crate) peers: Peers,
}

impl<B: AutodiffBackend> TermInputs<'_, B> {
    /// Target class logits `classify(z_t)`, `[n_t, num_classes]`, differentiable; computed
    /// on first use, once per step.
    pub fn target_logits(&self) -> Tensor<B, 2> {
        self.target_logits
            .get_or_init(|| (self.classify)(self.target_features.clone()))
            .clone()
    }

    /// `[z_s; z_t]`, `[n_s + n_t, latent_dim]`: the two domains' features stacked, source
    /// first (from the joint pass when the encoder ran once on both).
    pub fn features(&self) -> Tensor<B, 2> {
        match self.joint_features {
            Some(joint) => joint.clone(),
            None => Tensor::cat(
                vec![self.source_features.clone(), self.target_features.clone()],
                0,
            ),
        }
    }

    /// The rows of each domain, `(n_s, n_t)`.
    pub fn batch_sizes(&self) -> (usize, usize) {
        (
            self.source_features.dims()[0],
            self.target_features.dims()[0],
        )
    }

    /// The peers of a data-parallel run (one, when the trainer trains alone). The trainer
    /// averages the peers' gradients, which is right for a loss that is a mean over the batch
    /// of per-sample losses; a term whose loss depends on statistics of the whole batch
    /// (class means, covariances) takes them over the union batch with
    /// [`Peers::union`] and returns [`Peers::global_loss`] of its loss, as MSTN's
    /// [`CentroidAlignment`] does. See [`peers`](shiftkit_peers).
    pub fn peers(&self) -> Peers {
        self.peers
    }

    /// The trainable domain discriminator, for the term whose
    /// [`head_input`](AdaptationTerm::head_input) asked for it (`None` for every other term).
    pub fn head(&self) -> Option<&DomainDiscriminator<B>> {
        self.head
    }
}

/// The domain labels `[0; n_s] ++ [1; n_t]` (source 0, target 1), built once per pair of batch
/// sizes and kept in `cache`.
pub(crate) fn domain_labels<B: AutodiffBackend>(
    cache: &mut Option<(usize, usize, Tensor<B, 1>)>,
    (n_s, n_t): (usize, usize),
    device: &B::Device,
) -> Tensor<B, 1> {
    if let Some((s, t, labels)) = cache
        && *s == n_s
        && *t == n_t
    {
        return labels.clone();
    }
    let mut values = vec![0.0f32; n_s];
    values.resize(n_s + n_t, 1.0);
    let labels = Tensor::from_data(TensorData::new(values, [n_s + n_t]), device);
    *cache = Some((n_s, n_t, labels.clone()));
    labels
}

/// How many domain logits are on the right side of 0 (target: positive), detached, `[1]`.
pub(crate) fn domain_correct<B: AutodiffBackend>(
    logits: &Tensor<B, 1>,
    labels: &Tensor<B, 1>,
) -> Tensor<B, 1> {
    logits
        .clone()
        .detach()
        .greater_elem(0.0)
        .float()
        .equal(labels.clone())
        .float()
        .sum()
}
