use thiserror::Error;

/// What can go wrong when configuring or running a [`DannTrainer`](crate::DannTrainer).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A hyper-parameter is outside its valid range.
    #[error("hyper-parameter `{name}` = {value} is invalid: {expected}")]
    InvalidHyperParameter {
        /// The parameter's name, as in [`DannConfig`](crate::DannConfig).
        name: &'static str,
        /// The value given.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// Terms and the discriminator are set before training
    /// ([`DannTrainer::with_term`](crate::DannTrainer::with_term),
    /// [`DannTrainer::with_discriminator`](crate::DannTrainer::with_discriminator)).
    #[error(
        "terms and the discriminator are set before training; this trainer has trained {steps} steps"
    )]
    Trained {
        /// The steps it had trained.
        steps: usize,
    },
    /// A term added with [`DannTrainer::with_term`](crate::DannTrainer::with_term) has the
    /// name of a term the run has already.
    #[error("the run has a term named `{name}` already")]
    TermName {
        /// The name.
        name: String,
    },
    /// A batch given to [`DannTrainer::train_step`](crate::DannTrainer::train_step) holds no
    /// example.
    #[error("a {domain} batch holds no example")]
    EmptyBatch {
        /// `"source"` or `"target"`.
        domain: String,
    },
    /// A regression's batch has no values ([`DomainBatch::values`](shiftkit_data::DomainBatch::values)).
    #[error("the {domain} data has no values to regress on (its batches' `values` are None)")]
    MissingValues {
        /// `"source"`, or the name given to `evaluate_values`.
        domain: String,
    },
    /// A regression's value is NaN or infinite.
    #[error("the {domain} data has a non-finite value in batch {batch}")]
    NonFiniteValue {
        /// `"source"`.
        domain: String,
        /// The batch, from 1.
        batch: usize,
    },
    /// A term that needs classes in a regression.
    #[error(
        "the {term} term needs classes, and the run is a regression (MSTN, CDAN and MCC read class predictions)"
    )]
    TermNeedsClasses {
        /// The term's name.
        term: String,
    },
    /// A data loader yields no batch, or only empty ones.
    #[error("the {domain} loader is empty")]
    EmptyLoader {
        /// `"source"`, `"target"`, or the name given to `evaluate`.
        domain: String,
    },
    /// `num_classes` disagrees with the number of classes the model predicts.
    #[error("num_classes is {config} but the model predicts {model} classes")]
    ClassCountMismatch {
        /// `num_classes` in the configuration.
        config: usize,
        /// What the model's classifier outputs.
        model: usize,
    },
    /// A label is not a class index.
    #[error("a {domain} label is {label}, outside the classes 0..{num_classes}")]
    LabelOutOfRange {
        /// Where the label was found.
        domain: String,
        /// The label.
        label: i64,
        /// The number of classes.
        num_classes: usize,
    },
    /// The discriminator's input width is not the encoder's `latent_dim`.
    #[error("the discriminator takes {discriminator} features but the encoder gives {encoder}")]
    LatentDimMismatch {
        /// The encoder's `latent_dim`.
        encoder: usize,
        /// The discriminator's input width.
        discriminator: usize,
    },
    /// A batch's inputs and labels disagree in length.
    #[error("a {domain} batch has {inputs} inputs but {labels} labels")]
    BatchLengthMismatch {
        /// Where the batch came from.
        domain: String,
        /// Rows of the inputs.
        inputs: usize,
        /// Length of the labels.
        labels: usize,
    },
    /// A batch's inputs are not of the shape the model takes, or not of the shape of the
    /// loader's other batches (dimensions after the batch dimension).
    #[error(
        "{domain} inputs of shape {found:?} (after the batch dimension), expected {expected:?}"
    )]
    InputShape {
        /// `"source"`, `"target"`, or the name given to `evaluate`.
        domain: String,
        /// What the model takes (empty when it does not say), or the loader's first batch.
        expected: Vec<usize>,
        /// What the batch has.
        found: Vec<usize>,
    },
    /// The target loader's inputs are shaped unlike the source loader's.
    #[error("target inputs of shape {target_dims:?}, source inputs of shape {source_dims:?}")]
    InputShapeMismatch {
        /// One source input's dimensions.
        source_dims: Vec<usize>,
        /// One target input's dimensions.
        target_dims: Vec<usize>,
    },
    /// A batch holds a NaN or infinite input value.
    #[error("{domain} batch {batch} holds a NaN or infinite input value")]
    NonFiniteInput {
        /// `"source"` or `"target"`.
        domain: String,
        /// The batch (1-based) in the loader's first pass.
        batch: usize,
    },
    /// A loss became NaN or infinite. In [`fit`](crate::DannTrainer::fit) the model is left as
    /// it was at the last read of the device before that step (at most
    /// [`READ_EVERY`](crate::READ_EVERY) - 1 good steps earlier; see
    /// [`reads`](crate::reads)); in [`train_step`](crate::DannTrainer::train_step), as it
    /// was before the step.
    #[error("the {term} loss is {value} at epoch {epoch}, step {step}")]
    NonFiniteLoss {
        /// Which loss: `"ce"`, a term's name (`"domain"`, `"semantic"`, `"mmd"`, ...) or
        /// `"total"`.
        term: String,
        /// The value read.
        value: f64,
        /// The epoch (1-based) in which it happened.
        epoch: usize,
        /// The step within that epoch (1-based; the run's step when from `train_step`).
        step: usize,
    },
    /// A configuration read from JSON has an unknown field or a value of the wrong type.
    #[error("configuration field `{field}`: {problem}")]
    ConfigField {
        /// The field, `outer.inner` for a nested one.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An adversarial term found no discriminator to train (it is built for the term that
    /// asks for it in `head_input`).
    #[error("the {term} term needs the trainer's discriminator, but none was built for it")]
    MissingHead {
        /// The term's name.
        term: &'static str,
    },
    /// Two terms of one run ask for the trainable discriminator.
    #[error("terms `{first}` and `{second}` both ask for the discriminator; a run has one")]
    HeadTaken {
        /// The term that has it.
        first: String,
        /// The term that asked too.
        second: String,
    },
    /// The collapse guard stopped training ([`CollapsePolicy::Stop`](crate::CollapsePolicy) or
    /// [`RestoreBest`](crate::CollapsePolicy::RestoreBest)); the history holds the epochs
    /// trained, the last with its alarms.
    #[error("training stopped at epoch {epoch}: {alarms:?}{}", match restored {
        Some(e) => format!("; the model of epoch {e} was restored"),
        None => String::new(),
    })]
    Collapsed {
        /// The epoch that raised the alarms.
        epoch: usize,
        /// Its alarms.
        alarms: Vec<crate::Alarm>,
        /// The epoch whose model was put back, under `RestoreBest`.
        restored: Option<usize>,
    },
    /// An adaptation term refused a saved state.
    #[error("term `{term}`: {problem}")]
    TermState {
        /// The term's name.
        term: String,
        /// What is wrong with the state.
        problem: String,
    },
    /// A collective operation of data-parallel training failed (see
    /// [`peers`](shiftkit_peers)); every peer of the group stops.
    #[error("collective {operation} failed: {problem}")]
    Collective {
        /// `"register"`, `"all-reduce"`, `"finish"` or `"orchestrator"`.
        operation: &'static str,
        /// What the collective engine said.
        problem: String,
    },
    /// The peers of a data-parallel run would take different numbers of steps per epoch:
    /// their shards are of different sizes.
    #[error(
        "the peers' shards are uneven: this peer takes {steps} steps per epoch, the {peers} peers {mean} on average"
    )]
    UnevenShards {
        /// This peer's steps per epoch.
        steps: usize,
        /// The number of peers.
        peers: usize,
        /// The mean over the peers.
        mean: f64,
    },
    /// The peers of a data-parallel run joined at different points of training: they resumed
    /// from checkpoints of different epochs (or some resumed and some did not).
    #[error(
        "the peers joined at different steps ({steps:?} steps done, peer by peer): resume every peer from the same epoch's checkpoint"
    )]
    PeersOutOfStep {
        /// The steps each peer had done, by rank.
        steps: Vec<usize>,
    },
    /// A checkpoint could not be written or read.
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    /// Building a network failed.
    #[error(transparent)]
    Network(#[from] shiftkit_nn::NnError),
    /// The alignment term rejected its input.
    #[error(transparent)]
    Alignment(#[from] shiftkit_align::AlignError),
    /// The reversal rejected its strength.
    #[error(transparent)]
    Reversal(#[from] shiftkit_grl::GrlError),
}

impl From<shiftkit_peers::PeerError> for TrainError {
    /// A collective operation's failure is [`TrainError::Collective`]; a count or rank out of
    /// range, [`TrainError::InvalidHyperParameter`].
    fn from(error: shiftkit_peers::PeerError) -> Self {
        match error {
            shiftkit_peers::PeerError::Collective { operation, problem } => {
                TrainError::Collective { operation, problem }
            }
            shiftkit_peers::PeerError::Setting {
                name,
                value,
                expected,
            } => TrainError::InvalidHyperParameter {
                name,
                value,
                expected,
            },
            other => TrainError::Collective {
                operation: "peers",
                problem: other.to_string(),
            },
        }
    }
}

impl From<shiftkit_store::StoreError> for TrainError {
    /// A checkpoint directory's failure is [`TrainError::Checkpoint`].
    fn from(error: shiftkit_store::StoreError) -> Self {
        TrainError::Checkpoint(error.into())
    }
}
