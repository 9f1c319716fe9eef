use burn::config::Config;

use shiftkit_align::{CentroidAlignerConfig, CentroidStart, MmdConfig};
use shiftkit_nn::{DomainDiscriminatorConfig, DropoutMasks};

use crate::TrainError;
use crate::alarm::CollapsePolicy;
use crate::check::{bad, check_non_negative, check_positive};
use crate::plan::BatchShapes;
use crate::reads::DeviceReads;
use crate::schedule::{GAMMA, LrSchedule, Pairing, ScheduleGranularity};
use crate::terms::CdanConfig;

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
    /// Weight of the domain (discriminator) loss in the total.
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
    /// Weight of the MSTN centroid-alignment loss; 0 disables it.
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
    /// The number of classes; must match the model's classifier.
    #[config(default = 10)]
    pub num_classes: usize,
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
    /// Which adversarial term `domain_weight` weighs: DANN's discriminator on the features,
    /// or CDAN's on features conditioned on predictions.
    #[config(default = "Adversary::Dann")]
    pub adversary: Adversary,
    /// CDAN's conditioning map (used with [`Adversary::Cdan`]).
    #[config(default = "CdanConfig::new()")]
    pub cdan: CdanConfig,
    /// Weight of the multi-kernel MMD term (DAN); 0 disables it.
    #[config(default = 0.0)]
    pub mmd_weight: f64,
    /// MMD's kernels and estimator.
    #[config(default = "MmdConfig::new()")]
    pub mmd: MmdConfig,
    /// Weight of the CORAL term; 0 disables it.
    #[config(default = 0.0)]
    pub coral_weight: f64,
    /// Weight of the minimum class confusion term (MCC); 0 disables it.
    #[config(default = 0.0)]
    pub mcc_weight: f64,
    /// MCC's softmax temperature, finite and > 0 (1 is the plain softmax; above 1 softens the
    /// predictions).
    #[config(default = 2.5)]
    pub mcc_temperature: f64,
    /// The domain discriminator. Its `latent_dim` is not read: the trainer builds the
    /// discriminator as wide as what the adversarial term feeds it (the encoder's features
    /// for DANN, the conditioning map for CDAN). ShiftKit's `discriminator_hidden` is its
    /// `hidden_dim` ([`with_discriminator_hidden`](Self::with_discriminator_hidden)).
    #[config(default = "DomainDiscriminatorConfig::new(1)")]
    pub discriminator: DomainDiscriminatorConfig,
    /// MSTN's target centroids. Its `num_classes` and `latent_dim` are not read: the trainer
    /// takes them from the model. ShiftKit's `centroid_momentum` is its `momentum`
    /// ([`with_centroid_momentum`](Self::with_centroid_momentum)).
    #[config(default = "CentroidAlignerConfig::new(2, 1)")]
    pub centroids: CentroidAlignerConfig,
}

/// The adversarial term that `domain_weight` weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub enum Adversary {
    /// DANN: the discriminator reads the features.
    #[default]
    Dann,
    /// CDAN: the discriminator reads the multilinear map of features and predictions (CDAN+E
    /// with [`CdanConfig::entropy`]).
    Cdan,
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
    /// discriminator's, the centroids' and MMD's by the configurations that own them, whose
    /// errors come back wrapped ([`TrainError::Network`], [`TrainError::Alignment`]).
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming the first parameter of this configuration
    /// out of range, or a wrapped error of a nested configuration.
    pub fn check(&self) -> Result<(), TrainError> {
        self.check_weights()?;
        self.check_training()?;
        self.check_monitoring()?;
        self.cdan.check()?;
        self.mmd.check()?;
        // The nested widths and class count are set by the trainer; checked with the run's.
        self.discriminator.check()?;
        self.centroids_for(1).check()?;
        Ok(())
    }

    /// The discriminator's configuration at input width `width`.
    pub(crate) fn discriminator_for(&self, width: usize) -> DomainDiscriminatorConfig {
        let mut config = self.discriminator.clone();
        config.latent_dim = width;
        config
    }

    /// MSTN's aligner configuration for features of width `latent_dim`.
    pub(crate) fn centroids_for(&self, latent_dim: usize) -> CentroidAlignerConfig {
        let mut config = self.centroids.clone();
        config.num_classes = self.num_classes;
        config.latent_dim = latent_dim;
        config
    }

    fn check_weights(&self) -> Result<(), TrainError> {
        for (name, value) in [
            ("domain_weight", self.domain_weight),
            ("alpha", self.alpha),
            ("semantic_weight", self.semantic_weight),
            ("mmd_weight", self.mmd_weight),
            ("coral_weight", self.coral_weight),
            ("mcc_weight", self.mcc_weight),
        ] {
            check_non_negative(name, value)?;
        }
        if !(self.pseudo_label_confidence >= 0.0 && self.pseudo_label_confidence < 1.0) {
            return bad(
                "pseudo_label_confidence",
                self.pseudo_label_confidence,
                "in [0, 1)",
            );
        }
        if self.num_classes < 2 {
            return bad("num_classes", self.num_classes as f64, ">= 2");
        }
        check_positive("gamma", self.gamma)?;
        check_positive("mcc_temperature", self.mcc_temperature)?;
        Ok(())
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

    /// Whether an adversarial term takes part (`domain_weight > 0`).
    pub fn adversarial(&self) -> bool {
        self.domain_weight > 0.0
    }

    /// Whether the MSTN term takes part (`semantic_weight > 0`).
    pub fn semantic(&self) -> bool {
        self.semantic_weight > 0.0
    }
}
