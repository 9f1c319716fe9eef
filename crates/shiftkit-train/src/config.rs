use burn::config::Config;

use shiftkit_align::{CentroidAlignerConfig, CentroidStart};
use shiftkit_nn::{DomainDiscriminatorConfig, DropoutMasks};

use crate::TrainError;
use crate::alarm::CollapsePolicy;
use crate::check::{bad, check_non_negative, check_positive};
use crate::plan::BatchShapes;
use crate::reads::DeviceReads;
use crate::schedule::{GAMMA, LrSchedule, Pairing, ScheduleGranularity};
use crate::task::Task;
use crate::terms::{CentroidAlignmentConfig, DomainAdversarialConfig, TermConfig};

/// Everything that shapes a DANN run: ShiftKit's parameters with their defaults, a seed,
/// and the options the literature and the major libraries use.
///
/// `DannConfig::new()` keeps the defaults of ShiftKit's `DANNTrainer` for every parameter it
/// shares with it (`domain_weight = 1.0`, `lr = 1e-3`, `alpha = 1.0`, `schedule_alpha = true`,
/// `discriminator_hidden = 128`, `warmup_epochs = 0`, `semantic_weight = 0.0`,
/// `centroid_momentum = 0.1`, `num_classes = 10`). Where ShiftKit's own behaviour is a known
/// trap, the default follows the paper instead, and the ShiftKit behaviour stays one option
/// away: alpha ramps per step ([`ScheduleGranularity::Step`]) and the shorter loader is cycled
/// ([`Pairing::Cycle`]). [`DannConfig::recommended`] gives the regime measured best on real
/// digits.
///
/// Being a Burn [`Config`], it saves to and loads from JSON.
#[derive(Config, Debug, PartialEq)]
pub struct DannConfig {
    /// ShiftKit's `domain_weight`: the weight of DANN's domain loss, a term run first
    /// ([`run_terms`](Self::run_terms)); 0 adds none.
    #[config(default = 1.0)]
    pub domain_weight: f64,
    /// Adam's learning rate, shared by the model and the discriminator.
    #[config(default = 1e-3)]
    pub lr: f64,
    /// The final reversal strength (the schedule ramps towards it).
    #[config(default = 1.0)]
    pub alpha: f64,
    /// Ramp alpha with the DANN schedule; `false` holds it at `alpha` throughout adaptation.
    #[config(default = true)]
    pub schedule_alpha: bool,
    /// Epochs of source-only training before adaptation starts. During warmup only the
    /// cross-entropy is trained: alpha is 0 and neither the discriminator nor the alignment
    /// term is trained.
    #[config(default = 0)]
    pub warmup_epochs: usize,
    /// ShiftKit's `semantic_weight`: the weight of MSTN's centroid-alignment loss, a term run
    /// after DANN's, with the MSTN settings below ([`run_terms`](Self::run_terms)); 0 adds
    /// none.
    #[config(default = 0.0)]
    pub semantic_weight: f64,
    /// MSTN's target centroids take only the target samples whose predicted class has at
    /// least this softmax probability; 0 (the default, as in MSTN) takes every sample.
    #[config(default = 0.0)]
    pub pseudo_label_confidence: f64,
    /// Ramp the semantic weight from 0 with the reversal's sigmoid,
    /// `semantic_weight * (2 / (1 + exp(-gamma p)) - 1)`, as the MSTN paper does, so that the
    /// centroid pull starts weak while the pseudo-labels are poor. Off: the full weight from the
    /// first step (ShiftKit).
    #[config(default = false)]
    pub ramp_semantic: bool,
    /// The number of classes; must match the model's classifier. 1 for a regression (the
    /// head's one output).
    #[config(default = 10)]
    pub num_classes: usize,
    /// What the head predicts from the source's labels: classes (the default) or numbers.
    #[config(default = "Task::Classification")]
    pub task: Task,
    /// Seed of the backend's random numbers (discriminator initialisation, dropout).
    #[config(default = 0)]
    pub seed: u64,
    /// Steepness of the alpha ramp (`gamma` in the paper).
    #[config(default = "GAMMA")]
    pub gamma: f64,
    /// Whether alpha moves every step (default) or every epoch (ShiftKit).
    #[config(default = "ScheduleGranularity::Step")]
    pub schedule_granularity: ScheduleGranularity,
    /// How source and target batches are paired within an epoch.
    #[config(default = "Pairing::Cycle")]
    pub pairing: Pairing,
    /// Whether every training batch has the loader's batch size (partial batches skipped),
    /// which spares a GPU backend the tuning of its kernels for a second shape.
    #[config(default = "BatchShapes::Auto")]
    pub batch_shapes: BatchShapes,
    /// When `fit` reads a step's numbers from the device: every step on a CPU backend, once
    /// per window of [`READ_EVERY`](crate::READ_EVERY) steps on a GPU (see
    /// [`reads`](crate::reads)).
    #[config(default = "DeviceReads::Auto")]
    pub device_reads: DeviceReads,
    /// The learning-rate schedule.
    #[config(default = "LrSchedule::Constant")]
    pub lr_schedule: LrSchedule,
    /// Adam's epsilon (PyTorch's default, 1e-8).
    #[config(default = 1e-8)]
    pub adam_epsilon: f64,
    /// Decoupled weight decay (AdamW) for all parameters; 0 is plain Adam.
    #[config(default = 0.0)]
    pub weight_decay: f64,
    /// Encode source and target as one concatenated batch instead of two. For encoders
    /// without batch norm this computes the same thing faster (one pass, larger matrix
    /// products); with batch norm, the statistics then mix both domains, which changes the
    /// method. Off by default, as in ShiftKit.
    #[config(default = false)]
    pub joint_encoding: bool,
    /// Run the source's and the target's encoder passes on two threads: the backward passes
    /// always (see the trainer's documentation), the forward passes where the encoder can
    /// ([`Encoder::encode_pair`](shiftkit_nn::Encoder::encode_pair); the reference CNN does on
    /// the CPU). The gradient is the single-threaded one up to the order of floating-point
    /// sums. On two cores both the CNN and the MLP step are faster (docs/performance.md).
    /// Ignored with `joint_encoding`, without a target pass (source-only training, warmup),
    /// and on backends that do not compute in host memory: a GPU runs one queue of work, so a
    /// second thread only adds to it (measured slower on an H200), and the trainer keeps the
    /// step on one thread there.
    #[config(default = true)]
    pub parallel_domains: bool,
    /// An epoch whose target predictions put more than this share in one class is reported
    /// as a collapse to the observer (and acted on as
    /// [`collapse_policy`](Self::collapse_policy) says).
    #[config(default = 0.9)]
    pub collapse_threshold: f64,
    /// An epoch whose mean feature norm (`latent_norm`) exceeds this many times the smallest
    /// of the earlier epochs is reported as feature drift to the observer: the runaway growth
    /// that precedes a DANN+MSTN collapse, visible epochs before the predictions collapse.
    /// Healthy runs on the digits grow at most ~2x; must be greater than 1.
    #[config(default = 4.0)]
    pub drift_threshold: f64,
    /// An epoch whose source training accuracy falls more than this below the best earlier
    /// epoch's raises [`Alarm::SourceDrop`](crate::Alarm::SourceDrop), in (0, 1].
    #[config(default = 0.2)]
    pub source_drop_threshold: f64,
    /// An adversarial epoch whose mean domain loss is below this raises
    /// [`Alarm::DomainLossZero`](crate::Alarm::DomainLossZero); >= 0 (0 never does).
    #[config(default = 1e-3)]
    pub domain_loss_floor: f64,
    /// What the trainer does when an epoch raises an alarm (see
    /// [`CollapsePolicy`]).
    #[config(default = "CollapsePolicy::Report")]
    pub collapse_policy: CollapsePolicy,
    /// Track the target accuracy (`tgt_acc`) and the shares of the predicted classes (which
    /// the collapse guard reads) on the target batch of every `track_every`-th step of an
    /// epoch: steps 1, 1 + `track_every`, ... Tracking is an evaluation-mode forward pass of
    /// the batch: every step's costs about 14% of a whole run's time, every 8th's (the
    /// default) about 1%, and an epoch of the digits still counts over a thousand target
    /// predictions (docs/performance.md). 1 tracks every batch. Training itself does not
    /// depend on it.
    #[config(default = 8)]
    pub track_every: usize,
    /// The run's terms beyond ShiftKit's two, in the order they run (after ShiftKit's DANN and
    /// MSTN terms, when `domain_weight` and `semantic_weight` add them). An entry of weight 0
    /// is left out. A [`Method`](crate::Method) preset sets this list
    /// ([`Method::configure`](crate::Method::configure)).
    #[config(default = "Vec::new()")]
    pub terms: Vec<TermConfig>,
    /// The domain discriminator. Its `latent_dim` is not read: the trainer builds the
    /// discriminator as wide as what the adversarial term feeds it (the encoder's features
    /// for DANN, the conditioning map for CDAN). ShiftKit's `discriminator_hidden` is its
    /// `hidden_dim` ([`with_discriminator_hidden`](Self::with_discriminator_hidden)).
    #[config(default = "DomainDiscriminatorConfig::new(1)")]
    pub discriminator: DomainDiscriminatorConfig,
    /// MSTN's target centroids. Its `num_classes` and `latent_dim` are not read: the trainer
    /// takes them from the model. ShiftKit's `centroid_momentum` is its `momentum`
    /// ([`with_centroid_momentum`](Self::with_centroid_momentum)). With `pseudo_label_confidence`
    /// and `ramp_semantic`, the MSTN settings of ShiftKit's term, which a preset's MSTN term
    /// takes too.
    #[config(default = "CentroidAlignerConfig::new(2, 1)")]
    pub centroids: CentroidAlignerConfig,
}

impl DannConfig {
    /// The regime measured best on MNIST -> optdigits: a discriminator of two hidden layers
    /// of 512 with dropout 0.5, domain weight 0.3, and the semantic weight ramped with the
    /// reversal's sigmoid (as in the MSTN paper). A stronger, regularised discriminator keeps
    /// the adversarial game balanced; a weak one lets the encoder win too easily, and with
    /// MSTN on top the features can drift and the classifier collapse. The ramp keeps the
    /// centroid pull weak while the pseudo-labels are still poor (docs/design.md).
    #[must_use]
    pub fn recommended() -> Self {
        Self::new()
            .with_discriminator_hidden(512)
            .with_discriminator_layers(2)
            .with_discriminator_dropout(0.5)
            .with_domain_weight(0.3)
            .with_ramp_semantic(true)
    }

    /// ShiftKit's `discriminator_hidden`: the width of the discriminator's hidden layers.
    #[must_use]
    pub fn with_discriminator_hidden(mut self, hidden: usize) -> Self {
        self.discriminator.hidden_dim = hidden;
        self
    }

    /// The number of hidden layers of the discriminator (ShiftKit: 1; 0 gives a logistic
    /// regression on the features).
    #[must_use]
    pub fn with_discriminator_layers(mut self, layers: usize) -> Self {
        self.discriminator.hidden_layers = layers;
        self
    }

    /// Dropout after each hidden layer of the discriminator, in `[0, 1)`.
    #[must_use]
    pub fn with_discriminator_dropout(mut self, dropout: f64) -> Self {
        self.discriminator.dropout = dropout;
        self
    }

    /// Where the discriminator's dropout draws its masks.
    #[must_use]
    pub fn with_discriminator_dropout_masks(mut self, masks: DropoutMasks) -> Self {
        self.discriminator.dropout_masks = masks;
        self
    }

    /// Batch norm in the discriminator's hidden layers.
    #[must_use]
    pub fn with_discriminator_batch_norm(mut self, batch_norm: bool) -> Self {
        self.discriminator.batch_norm = batch_norm;
        self
    }

    /// ShiftKit's `centroid_momentum`: MSTN's moving-average weight of the newest target
    /// batch, in (0, 1].
    #[must_use]
    pub fn with_centroid_momentum(mut self, momentum: f64) -> Self {
        self.centroids.momentum = momentum;
        self
    }

    /// How MSTN's target centroids start.
    #[must_use]
    pub fn with_centroid_start(mut self, start: CentroidStart) -> Self {
        self.centroids.start = start;
        self
    }

    /// Checks every hyper-parameter. The trainer's own are checked here; the
    /// discriminator's and each term's by the configurations that own them, whose errors come
    /// back as they are or wrapped ([`TrainError::Network`], [`TrainError::Alignment`]).
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming the first parameter of this configuration
    /// out of range, or a wrapped error of a nested configuration.
    pub fn check(&self) -> Result<(), TrainError> {
        self.check_weights()?;
        self.check_training()?;
        self.check_monitoring()?;
        // The nested widths and class count are set by the trainer; checked with the run's.
        self.discriminator.check()?;
        self.shiftkit_mstn(self.semantic_weight).check()?;
        for term in &self.terms {
            term.check()?;
        }
        Ok(())
    }

    /// The terms a run trains, in the order they run: ShiftKit's DANN term (weight
    /// `domain_weight`) and MSTN term (`semantic_weight`, with the MSTN settings of this
    /// configuration) where their weights are above 0, then the entries of
    /// [`terms`](Self::terms) whose weights are.
    pub fn run_terms(&self) -> Vec<TermConfig> {
        let mut terms = Vec::with_capacity(self.terms.len() + 2);
        if self.domain_weight > 0.0 {
            terms.push(TermConfig::Dann(
                DomainAdversarialConfig::new().with_weight(self.domain_weight),
            ));
        }
        if self.semantic_weight > 0.0 {
            terms.push(TermConfig::Mstn(self.shiftkit_mstn(self.semantic_weight)));
        }
        terms.extend(self.terms.iter().filter(|t| t.weight() > 0.0).cloned());
        terms
    }

    /// The weight of the run's first term named `name` (`"domain"`, `"semantic"`, `"mmd"`,
    /// ...; see [`TermConfig::name`]), if the run has one.
    pub fn term_weight(&self, name: &str) -> Option<f64> {
        self.run_terms()
            .iter()
            .find(|term| term.name() == name)
            .map(TermConfig::weight)
    }

    /// This configuration with every term of the run named `name` at weight `weight`: ShiftKit's
    /// DANN or MSTN term where its weight is above 0, and the entries of
    /// [`terms`](Self::terms). A name the run does not have changes nothing.
    #[must_use]
    pub fn with_term_weight(mut self, name: &str, weight: f64) -> Self {
        if name == "domain" && self.domain_weight > 0.0 {
            self.domain_weight = weight;
        }
        if name == "semantic" && self.semantic_weight > 0.0 {
            self.semantic_weight = weight;
        }
        for term in &mut self.terms {
            if term.name() == name {
                *term = term.clone().with_weight(weight);
            }
        }
        self
    }

    /// The MSTN term of this configuration's MSTN settings (`ramp_semantic`,
    /// `pseudo_label_confidence`, `centroids`) at weight `weight`.
    pub fn shiftkit_mstn(&self, weight: f64) -> CentroidAlignmentConfig {
        CentroidAlignmentConfig::new()
            .with_weight(weight)
            .with_ramp(self.ramp_semantic)
            .with_pseudo_label_confidence(self.pseudo_label_confidence)
            .with_centroids(self.centroids.clone())
    }

    /// The discriminator's configuration at input width `width`.
    pub(crate) fn discriminator_for(&self, width: usize) -> DomainDiscriminatorConfig {
        let mut config = self.discriminator.clone();
        config.latent_dim = width;
        config
    }

    fn check_weights(&self) -> Result<(), TrainError> {
        // ShiftKit's MSTN settings (`semantic_weight`, `pseudo_label_confidence`) are checked
        // by its MSTN term's configuration, in `check`.
        for (name, value) in [("domain_weight", self.domain_weight), ("alpha", self.alpha)] {
            check_non_negative(name, value)?;
        }
        if self.task.is_regression() {
            if self.num_classes != 1 {
                return bad("num_classes", self.num_classes as f64, "1 for a regression");
            }
            if let Some(term) = self.run_terms().iter().find(|t| t.needs_classes()) {
                return Err(TrainError::TermNeedsClasses {
                    term: term.name().to_string(),
                });
            }
        } else if self.num_classes < 2 {
            return bad("num_classes", self.num_classes as f64, ">= 2");
        }
        self.task.check()?;
        check_positive("gamma", self.gamma)
    }

    fn check_training(&self) -> Result<(), TrainError> {
        check_positive("lr", self.lr)?;
        check_positive("adam_epsilon", self.adam_epsilon)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn check_monitoring(&self) -> Result<(), TrainError> {
        if !(self.collapse_threshold > 0.0 && self.collapse_threshold <= 1.0) {
            return bad("collapse_threshold", self.collapse_threshold, "in (0, 1]");
        }
        if !(self.drift_threshold > 1.0 && self.drift_threshold.is_finite()) {
            return bad("drift_threshold", self.drift_threshold, "finite and > 1");
        }
        if !(self.source_drop_threshold > 0.0 && self.source_drop_threshold <= 1.0) {
            return bad(
                "source_drop_threshold",
                self.source_drop_threshold,
                "in (0, 1]",
            );
        }
        if !(self.domain_loss_floor.is_finite() && self.domain_loss_floor >= 0.0) {
            return bad(
                "domain_loss_floor",
                self.domain_loss_floor,
                "finite and >= 0",
            );
        }
        if self.track_every == 0 {
            return bad("track_every", 0.0, ">= 1");
        }
        Ok(())
    }

    /// Whether an adversarial term (named `"domain"`) takes part.
    pub fn adversarial(&self) -> bool {
        self.term_weight("domain").is_some()
    }

    /// Whether an MSTN term (named `"semantic"`) takes part.
    pub fn semantic(&self) -> bool {
        self.term_weight("semantic").is_some()
    }
}
