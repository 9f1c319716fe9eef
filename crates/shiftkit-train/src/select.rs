//! Choosing without target labels: train candidates (methods and values of named
//! hyper-parameters, source-only always among them), score each with a label-free validator,
//! and keep the best.
//!
//! Unsupervised domain adaptation has no target labels to pick a method, a weight or an epoch
//! with. [`select`] trains every [`Candidate`] the caller's `build` closure makes a trainer
//! for, scores it at the end of every epoch (or of the last one) with a
//! [`Validator`] on held-out *source* rows and unlabelled
//! *target* rows, and returns every candidate's best-scored model with the index of the one
//! to keep.
//!
//! What keeps a choice from making the model worse than training on the source alone:
//!
//! - **Source-only is always a candidate.** [`grid`] puts it first; [`select`] refuses a list
//!   without it ([`SelectError::NoSourceOnly`]). If adaptation does not help by the
//!   validator's reading, the choice falls back to it.
//! - **An epoch the collapse guard raised an alarm on is never chosen** (one class taking the
//!   target predictions, the source accuracy falling, runaway features, a discriminator that
//!   wins outright). Its score is still reported.
//! - **Where the source's classes do not reach the target, adaptation must prove itself.**
//!   The source-only model, at its last epoch, is read on the target: when its mean
//!   prediction's entropy is below [`SelectConfig::min_spread`] of its maximum `ln K` (by
//!   default half: fewer than `sqrt(K)` [`effective_classes`], about 3.2 of 10), its features
//!   do not separate the target's classes, and a validator's ranking is weak evidence there
//!   (on inverted digits with the MLP, information maximisation prefers a confident,
//!   balanced and wrong model). An adapted candidate then stays eligible only if its kept
//!   epoch shows class structure of its own: [`information_maximization`] of at least
//!   [`SelectConfig::min_structure`] of `ln K` (0.8: confident predictions spread over the
//!   classes). Otherwise source-only is kept as trained, at its last epoch. Either way
//!   [`Selection::warnings`] says so; [`NoTransfer::Choose`] turns the rule off.
//! - **No target label reaches the validator.** The target rows go through
//!   [`validation_inputs`], which reads the target batches' inputs only.

use std::fmt;
use std::str::FromStr;

use burn::data::dataloader::DataLoader;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};
use shiftkit_data::DomainBatch;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::Encoder;
use shiftkit_validate::{
    ValidateError, ValidationInputs, Validator, ValidatorConfig, effective_classes,
    information_maximization,
};

use crate::{DannConfig, DannTrainer, EpochRecord, Method, TrainError, TrainableEncoder};

/// A hyper-parameter a selection can vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Param {
    /// The adversarial weight (DANN, DANN+MSTN, CDAN, CDAN+E).
    DomainWeight,
    /// MSTN's centroid weight (DANN+MSTN).
    SemanticWeight,
    /// MMD's weight.
    MmdWeight,
    /// CORAL's weight.
    CoralWeight,
    /// MCC's weight.
    MccWeight,
    /// Adam's learning rate (every method, source-only included).
    Lr,
}

impl Param {
    /// Every parameter.
    pub const ALL: [Param; 6] = [
        Param::DomainWeight,
        Param::SemanticWeight,
        Param::MmdWeight,
        Param::CoralWeight,
        Param::MccWeight,
        Param::Lr,
    ];

    /// The name on command lines and in `selection.json`: `domain-weight`, `semantic-weight`,
    /// `mmd-weight`, `coral-weight`, `mcc-weight`, `lr`.
    pub fn name(self) -> &'static str {
        match self {
            Param::DomainWeight => "domain-weight",
            Param::SemanticWeight => "semantic-weight",
            Param::MmdWeight => "mmd-weight",
            Param::CoralWeight => "coral-weight",
            Param::MccWeight => "mcc-weight",
            Param::Lr => "lr",
        }
    }

    /// Whether `method` reads this parameter.
    pub fn applies_to(self, method: Method) -> bool {
        match self {
            Param::DomainWeight => matches!(
                method,
                Method::Dann | Method::DannMstn | Method::Cdan | Method::CdanE
            ),
            Param::SemanticWeight => method == Method::DannMstn,
            Param::MmdWeight => method == Method::Mmd,
            Param::CoralWeight => method == Method::Coral,
            Param::MccWeight => method == Method::Mcc,
            Param::Lr => true,
        }
    }

    /// `config` with this parameter set to `value`.
    #[must_use]
    pub fn apply(self, config: DannConfig, value: f64) -> DannConfig {
        match self {
            Param::DomainWeight => config.with_domain_weight(value),
            Param::SemanticWeight => config.with_semantic_weight(value),
            Param::MmdWeight => config.with_mmd_weight(value),
            Param::CoralWeight => config.with_coral_weight(value),
            Param::MccWeight => config.with_mcc_weight(value),
            Param::Lr => config.with_lr(value),
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Param {
    type Err = SelectError;

    /// Reads a [`name`](Param::name); `_` may stand for `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-");
        Param::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| SelectError::UnknownParam(s.to_owned()))
    }
}

/// One configuration to train: a method and the values of the parameters varied.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The method.
    pub method: Method,
    /// The parameters varied, with their values (those the method reads).
    pub params: Vec<(Param, f64)>,
    /// The whole configuration.
    pub config: DannConfig,
}

impl Candidate {
    /// `method` on `base` (through [`Method::configure`]) with `params` set first.
    pub fn new(method: Method, base: &DannConfig, params: Vec<(Param, f64)>) -> Self {
        let set = params.iter().fold(base.clone(), |config, &(param, value)| {
            param.apply(config, value)
        });
        Self {
            method,
            params,
            config: method.configure(set),
        }
    }

    /// `dann domain-weight=0.1`: the method and the parameters varied.
    pub fn label(&self) -> String {
        let mut label = self.method.name().to_string();
        for (param, value) in &self.params {
            label.push_str(&format!(" {param}={value}"));
        }
        label
    }
}

/// The candidates of a grid: source-only first (with only the parameters every method reads,
/// such as the learning rate), then every method of `methods` with every combination of the
/// values of the parameters it reads. A method reading none of the axes is one candidate with
/// its default weights. A method named twice is one.
///
/// # Errors
///
/// [`SelectError::BadValue`] for a value that is not finite and above 0: a weight of 0 would
/// switch its term off, which [`Method::configure`] reads as "the method's default weight"
/// (and source-only is a candidate already), and a rate of 0 trains nothing.
pub fn grid(
    methods: &[Method],
    base: &DannConfig,
    axes: &[(Param, Vec<f64>)],
) -> Result<Vec<Candidate>, SelectError> {
    for (param, values) in axes {
        if let Some(&value) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(SelectError::BadValue {
                param: *param,
                value,
            });
        }
    }
    let mut methods: Vec<Method> = methods
        .iter()
        .copied()
        .filter(|&m| m != Method::SourceOnly)
        .collect();
    let mut seen = Vec::new();
    methods.retain(|m| {
        let first = !seen.contains(m);
        seen.push(*m);
        first
    });
    let mut candidates = Vec::new();
    for method in std::iter::once(Method::SourceOnly).chain(methods) {
        let mut combinations: Vec<Vec<(Param, f64)>> = vec![Vec::new()];
        for (param, values) in axes {
            if !param.applies_to(method) || values.is_empty() {
                continue;
            }
            combinations = combinations
                .into_iter()
                .flat_map(|combo| {
                    values.iter().map(move |&value| {
                        let mut next = combo.clone();
                        next.push((*param, value));
                        next
                    })
                })
                .collect();
        }
        for params in combinations {
            candidates.push(Candidate::new(method, base, params));
        }
    }
    Ok(candidates)
}

/// How [`select`] trains and scores.
#[derive(Debug, Clone)]
pub struct SelectConfig {
    /// The validator that ranks the candidates.
    pub validator: Validator,
    /// Its settings.
    pub validator_config: ValidatorConfig,
    /// Epochs to train each candidate.
    pub epochs: usize,
    /// Score every epoch and keep each candidate's best-scored one (`true`), or score the last
    /// epoch only.
    pub choose_epoch: bool,
    /// At most this many rows of each domain are read for a score.
    pub max_rows: usize,
    /// The least spread of the source-only model's target predictions for the target to count
    /// as reached by the source's classes: the entropy of its mean prediction over `ln K`, in
    /// `[0, 1]` (0.5 by default: at least `sqrt(K)` [`effective_classes`]). Below it,
    /// [`Self::no_transfer`] decides. Read on the entropy's scale, one value serves every `K`:
    /// for two classes 0.5 means a split of about 90/10 or worse.
    pub min_spread: f64,
    /// On a target the source's classes do not reach: the least class structure an adapted
    /// candidate's kept epoch must show to stay eligible, as [`information_maximization`]
    /// over `ln K`, in `[0, 1]` (0.8 by default).
    pub min_structure: f64,
    /// What to do on a target the source's classes do not reach.
    pub no_transfer: NoTransfer,
}

/// What [`select`] does when the source-only model's target predictions spread less than
/// [`SelectConfig::min_spread`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoTransfer {
    /// Adapted candidates stay eligible only with [`SelectConfig::min_structure`]; source-only
    /// is kept at its last epoch (the default).
    #[default]
    RequireStructure,
    /// Choose by the scores as usual (with a warning).
    Choose,
}

impl SelectConfig {
    /// `validator`, `epochs` per candidate, the last epoch only, 1,000 rows a domain.
    pub fn new(validator: Validator, epochs: usize) -> Self {
        Self {
            validator,
            validator_config: ValidatorConfig::new(),
            epochs,
            choose_epoch: false,
            max_rows: 1000,
            min_spread: 0.5,
            min_structure: 0.8,
            no_transfer: NoTransfer::RequireStructure,
        }
    }

    /// The least spread of the source-only model's target predictions.
    #[must_use]
    pub fn with_min_spread(mut self, spread: f64) -> Self {
        self.min_spread = spread;
        self
    }

    /// The least class structure asked of an adapted candidate where the source's classes do
    /// not reach the target.
    #[must_use]
    pub fn with_min_structure(mut self, structure: f64) -> Self {
        self.min_structure = structure;
        self
    }

    /// What to do on a target the source's classes do not reach.
    #[must_use]
    pub fn with_no_transfer(mut self, no_transfer: NoTransfer) -> Self {
        self.no_transfer = no_transfer;
        self
    }

    /// Scores every epoch and keeps each candidate's best.
    #[must_use]
    pub fn with_choose_epoch(mut self, choose_epoch: bool) -> Self {
        self.choose_epoch = choose_epoch;
        self
    }

    /// The rows read per domain for a score.
    #[must_use]
    pub fn with_max_rows(mut self, max_rows: usize) -> Self {
        self.max_rows = max_rows;
        self
    }
}

/// One epoch's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochScore {
    /// The epoch (1-based).
    pub epoch: usize,
    /// The validator's score (higher is better).
    pub score: f64,
    /// Whether the collapse guard raised an alarm on this epoch (it is then never chosen).
    pub alarmed: bool,
    /// The [`effective_classes`] of the target predictions at this epoch.
    pub effective_classes: f64,
    /// Their class structure: [`information_maximization`] over `ln K`, in `[0, 1]`.
    pub structure: f64,
}

/// A trained candidate.
#[derive(Debug, Clone)]
pub struct Trained<M> {
    /// What was trained.
    pub candidate: Candidate,
    /// The scores of the epochs scored, in order.
    pub scores: Vec<EpochScore>,
    /// The kept epoch: the best-scored epoch without alarm (the last scored epoch when every
    /// one raised an alarm).
    pub kept: EpochScore,
    /// The model of the kept epoch.
    pub model: M,
    /// The whole run's history.
    pub history: Vec<EpochRecord>,
}

impl<M> Trained<M> {
    /// Whether the candidate can be chosen: its kept epoch raised no alarm.
    pub fn eligible(&self) -> bool {
        !self.kept.alarmed
    }
}

/// The outcome of [`select`]: every candidate, and the one chosen.
#[derive(Debug, Clone)]
pub struct Selection<M> {
    /// The validator that ranked them.
    pub validator: Validator,
    /// Every candidate trained to the end, in the order given (those that failed are
    /// [`SelectWarning::Failed`]).
    pub candidates: Vec<Trained<M>>,
    /// The index of the chosen candidate: the best score among the eligible ones (where the
    /// source's classes do not reach the target, only candidates with enough class structure
    /// are); source-only when none is.
    pub chosen: usize,
    /// What the caller should know about this choice; empty when nothing is doubtful.
    pub warnings: Vec<SelectWarning>,
}

/// Something doubtful about a selection, for the caller to report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SelectWarning {
    /// The source-only model's target predictions use few of the classes: the encoder's
    /// source features do not separate the target's classes, and a validator's ranking of the
    /// adapted candidates is weak evidence. Try another encoder (one suited to what differs
    /// between the domains).
    NoTransfer {
        /// The effective number of classes of the source-only model's target predictions.
        effective_classes: f64,
        /// The number of classes.
        classes: usize,
        /// Whether source-only was kept because no adapted candidate showed enough class
        /// structure ([`NoTransfer::RequireStructure`]).
        kept_source_only: bool,
    },
    /// Candidates whose every scored epoch raised a collapse alarm: none of them could be
    /// chosen.
    Collapsed {
        /// Their labels.
        candidates: Vec<String>,
    },
    /// An adapted candidate whose training failed (a non-finite loss, or the collapse guard
    /// stopping it): it is left out of [`Selection::candidates`], and the choice is made among
    /// the others.
    Failed {
        /// Its label.
        candidate: String,
        /// The error.
        error: String,
    },
}

impl fmt::Display for SelectWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectWarning::NoTransfer {
                effective_classes,
                classes,
                kept_source_only,
            } => {
                write!(
                    f,
                    "the source-only model's target predictions use {effective_classes:.1} of \
                     {classes} classes: the encoder's features do not carry the source's classes \
                     to the target; "
                )?;
                if *kept_source_only {
                    write!(
                        f,
                        "no adapted candidate showed enough class structure of its own, so \
                         source-only was kept; try an encoder suited to this shift"
                    )
                } else {
                    write!(
                        f,
                        "an adapted candidate was chosen: check it on a few labelled target \
                         examples"
                    )
                }
            }
            SelectWarning::Collapsed { candidates } => write!(
                f,
                "every scored epoch of {} raised a collapse alarm",
                candidates.join(", ")
            ),
            SelectWarning::Failed { candidate, error } => {
                write!(f, "{candidate} failed and was left out: {error}")
            }
        }
    }
}

impl<M> Selection<M> {
    /// The chosen candidate.
    pub fn best(&self) -> &Trained<M> {
        &self.candidates[self.chosen]
    }
}

/// What can go wrong in a selection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// The candidate list has no source-only candidate: without it the choice cannot fall back
    /// to training on the source alone.
    #[error("the candidates must include source_only (the fallback when adaptation does not help)")]
    NoSourceOnly,
    /// No candidate to train.
    #[error("no candidate to select from")]
    NoCandidate,
    /// Zero epochs per candidate.
    #[error("a selection needs at least one epoch per candidate")]
    NoEpoch,
    /// A [`SelectConfig::min_spread`] or [`SelectConfig::min_structure`] outside `[0, 1]` (or
    /// NaN).
    #[error("min_spread and min_structure must be in [0, 1], got {0}")]
    Share(f64),
    /// A name that is not a [`Param`].
    #[error(
        "unknown parameter {0:?} (expected one of domain-weight, semantic-weight, mmd-weight, coral-weight, mcc-weight, lr)"
    )]
    UnknownParam(String),
    /// A value of a [`grid`]'s parameter that is not finite and above 0.
    #[error("{param} = {value}: the values of a grid are finite and above 0")]
    BadValue {
        /// The parameter.
        param: Param,
        /// The value.
        value: f64,
    },
    /// Training a candidate failed.
    #[error("candidate `{candidate}`: {source}")]
    Train {
        /// The candidate's label.
        candidate: String,
        /// What failed.
        source: TrainError,
    },
    /// Scoring a candidate failed.
    #[error("candidate `{candidate}`, epoch {epoch}: {source}")]
    Validate {
        /// The candidate's label.
        candidate: String,
        /// The epoch scored.
        epoch: usize,
        /// What failed.
        source: ValidateError,
    },
}

/// Features and logits, in evaluation mode, of at most `max_rows` rows of each domain: the
/// held-out labelled `source` rows (with their labels) and the `target` rows (inputs only:
/// the target batches' labels are never read).
///
/// # Errors
///
/// [`ValidateError`] when a loader yields no row, or the model gives non-finite values.
pub fn validation_inputs<B, M, const D: usize>(
    model: &M,
    source: &dyn DataLoader<B, DomainBatch<B, D>>,
    target: &dyn DataLoader<B, DomainBatch<B, D>>,
    max_rows: usize,
) -> Result<ValidationInputs<B>, ValidateError>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let (source_features, source_logits, source_labels) = outputs(model, source, max_rows, true);
    let (target_features, target_logits, _) = outputs(model, target, max_rows, false);
    let cat = |parts: Vec<Tensor<B, 2>>| {
        if parts.is_empty() {
            Tensor::<B, 2>::empty([0, 0], &Default::default())
        } else {
            Tensor::cat(parts, 0)
        }
    };
    let labels = if source_labels.is_empty() {
        Tensor::<B, 1, Int>::empty([0], &Default::default())
    } else {
        Tensor::cat(source_labels, 0)
    };
    ValidationInputs::new(
        cat(source_features),
        cat(source_logits),
        labels,
        cat(target_features),
        cat(target_logits),
    )
}

/// The features, logits and (when `labelled`) labels of the first `max_rows` rows of `loader`.
#[allow(clippy::type_complexity)]
fn outputs<B, M, const D: usize>(
    model: &M,
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    max_rows: usize,
    labelled: bool,
) -> (Vec<Tensor<B, 2>>, Vec<Tensor<B, 2>>, Vec<Tensor<B, 1, Int>>)
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let (mut features, mut logits, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    let mut rows = 0;
    for batch in loader.iter() {
        if rows >= max_rows {
            break;
        }
        let take = batch.len().min(max_rows - rows);
        if take == 0 {
            continue;
        }
        rows += take;
        let DomainBatch {
            inputs,
            labels: batch_labels,
        } = batch;
        let inputs = inputs.narrow(0, 0, take);
        let z = model.encode(inputs);
        logits.push(model.classify(z.clone()));
        features.push(z);
        if labelled {
            labels.push(batch_labels.narrow(0, 0, take));
        }
    }
    (features, logits, labels)
}

/// Trains every candidate and chooses one without a target label.
///
/// `build` makes a fresh trainer for a candidate (its model, its loaders, its configuration
/// `candidate.config`); `source_val` yields held-out labelled source rows (not trained on) and
/// `target` unlabelled target rows, both on the inner backend. After every scored epoch,
/// `on_epoch` sees the candidate, the epoch, the model in evaluation mode and the validation
/// inputs (a program reports more with them; the choice does not depend on it).
///
/// # Errors
///
/// [`SelectError::NoCandidate`], [`SelectError::NoSourceOnly`], [`SelectError::NoEpoch`];
/// [`SelectError::Train`] when a trainer cannot be built, or when training fails otherwise
/// than by a non-finite loss or a collapse stop, or source-only's training fails at all (an
/// adapted candidate that diverges or collapses is left out with a
/// [`SelectWarning::Failed`]); [`SelectError::Validate`] when a score cannot be computed.
pub fn select<B, M, const D: usize>(
    candidates: &[Candidate],
    mut build: impl FnMut(&Candidate) -> Result<DannTrainer<B, M, D>, TrainError>,
    source_val: &dyn DataLoader<B::InnerBackend, DomainBatch<B::InnerBackend, D>>,
    target: &dyn DataLoader<B::InnerBackend, DomainBatch<B::InnerBackend, D>>,
    config: &SelectConfig,
    mut on_epoch: impl FnMut(&Candidate, usize, &M::InnerModule, &ValidationInputs<B::InnerBackend>),
) -> Result<Selection<M>, SelectError>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    check_request(candidates, config)?;
    let mut runs: Vec<Run<'_, M>> = Vec::with_capacity(candidates.len());
    let mut failed = Vec::new();
    let mut classes = 0;
    for candidate in candidates {
        let trainer = build(candidate).map_err(|source| SelectError::Train {
            candidate: candidate.label(),
            source,
        })?;
        // The first source-only run's last model too: `decide` keeps it where the source's
        // classes do not reach the target.
        let keep_last = candidate.method == Method::SourceOnly
            && !runs
                .iter()
                .any(|r| r.candidate.method == Method::SourceOnly);
        let validation = (source_val, target);
        let trained = train_candidate(
            candidate,
            trainer,
            validation,
            config,
            keep_last,
            &mut on_epoch,
        );
        match trained {
            Ok((run, run_classes)) => {
                classes = run_classes;
                runs.push(run);
            }
            Err(SelectError::Train {
                candidate: label,
                source: error @ (TrainError::NonFiniteLoss { .. } | TrainError::Collapsed { .. }),
            }) if candidate.method != Method::SourceOnly => {
                failed.push(SelectWarning::Failed {
                    candidate: label,
                    error: error.to_string(),
                });
            }
            Err(error) => return Err(error),
        }
    }
    let scored: Vec<ScoredRun<'_>> = runs
        .iter()
        .map(|r| ScoredRun {
            method: r.candidate.method,
            label: r.candidate.label(),
            scores: &r.scores,
        })
        .collect();
    let decision = decide(&scored, config, classes)?;
    let candidates = runs
        .into_iter()
        .zip(&decision.kept)
        .map(|(run, &kept)| run.trained(kept))
        .collect();
    let mut warnings = failed;
    warnings.extend(decision.warnings);
    Ok(Selection {
        validator: config.validator,
        candidates,
        chosen: decision.chosen,
        warnings,
    })
}

/// The checks of [`select`] before anything is trained.
fn check_request(candidates: &[Candidate], config: &SelectConfig) -> Result<(), SelectError> {
    if candidates.is_empty() {
        return Err(SelectError::NoCandidate);
    }
    if !candidates.iter().any(|c| c.method == Method::SourceOnly) {
        return Err(SelectError::NoSourceOnly);
    }
    if config.epochs == 0 {
        return Err(SelectError::NoEpoch);
    }
    for share in [config.min_spread, config.min_structure] {
        if !(0.0..=1.0).contains(&share) {
            return Err(SelectError::Share(share));
        }
    }
    Ok(())
}

/// The held-out source rows and the unlabelled target rows [`select`] validates on.
type ValidationData<'a, B, const D: usize> = (
    &'a dyn DataLoader<B, DomainBatch<B, D>>,
    &'a dyn DataLoader<B, DomainBatch<B, D>>,
);

/// Trains one candidate for `config.epochs` epochs and scores those
/// [`SelectConfig::choose_epoch`] asks for (else the last): its run, with the best-scored
/// epoch's model (and the last one's with `keep_last`), and the number of classes.
fn train_candidate<'c, B, M, const D: usize>(
    candidate: &'c Candidate,
    trainer: DannTrainer<B, M, D>,
    validation: ValidationData<'_, B::InnerBackend, D>,
    config: &SelectConfig,
    keep_last: bool,
    on_epoch: &mut impl FnMut(&Candidate, usize, &M::InnerModule, &ValidationInputs<B::InnerBackend>),
) -> Result<(Run<'c, M>, usize), SelectError>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    let mut trainer = trainer.with_planned_epochs(config.epochs);
    let mut scores: Vec<EpochScore> = Vec::new();
    let mut best: Option<(usize, M)> = None;
    let mut classes = 0;
    for epoch in 1..=config.epochs {
        let records = trainer.fit(1).map_err(|source| SelectError::Train {
            candidate: candidate.label(),
            source,
        })?;
        if !config.choose_epoch && epoch < config.epochs {
            continue;
        }
        let alarmed = records.iter().any(|r| !r.alarms.is_empty());
        let model = trainer.model().valid();
        let (scored, inputs) =
            score_epoch(&model, validation, config, (epoch, alarmed)).map_err(|source| {
                SelectError::Validate {
                    candidate: candidate.label(),
                    epoch,
                    source,
                }
            })?;
        classes = inputs.target_logits().dims()[1];
        on_epoch(candidate, epoch, &model, &inputs);
        if better(&scored, best.as_ref().map(|(i, _)| &scores[*i])) {
            best = Some((scores.len(), trainer.model().clone()));
        }
        scores.push(scored);
    }
    let (best, best_model) = best.expect("at least one epoch is scored");
    let run = Run {
        candidate,
        scores,
        best,
        best_model,
        last_model: keep_last.then(|| trainer.model().clone()),
        history: trainer.history().to_vec(),
    };
    Ok((run, classes))
}

/// An epoch's model scored on the validation rows: the validator's score and the spread and
/// structure of its target predictions, with the inputs the score was computed from.
fn score_epoch<B, M, const D: usize>(
    model: &M,
    (source_val, target): ValidationData<'_, B, D>,
    config: &SelectConfig,
    (epoch, alarmed): (usize, bool),
) -> Result<(EpochScore, ValidationInputs<B>), ValidateError>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let inputs = validation_inputs(model, source_val, target, config.max_rows)?;
    let score = config
        .validator
        .score_with(&inputs, &config.validator_config)?;
    let effective_classes = effective_classes(inputs.target_logits())?;
    let classes = inputs.target_logits().dims()[1];
    let information = information_maximization(inputs.target_logits())?;
    let structure = if classes > 1 {
        information / (classes as f64).ln()
    } else {
        1.0
    };
    let scored = EpochScore {
        epoch,
        score,
        alarmed,
        effective_classes,
        structure,
    };
    Ok((scored, inputs))
}

/// One candidate's run inside [`select`], before the decision.
struct Run<'a, M> {
    candidate: &'a Candidate,
    scores: Vec<EpochScore>,
    /// The index of the best epoch by [`better`], and its model.
    best: usize,
    best_model: M,
    /// The last epoch's model, kept for the first source-only run only.
    last_model: Option<M>,
    history: Vec<EpochRecord>,
}

impl<M> Run<'_, M> {
    /// The trained candidate with epoch `kept` kept: the best-scored epoch's model, or the
    /// last epoch's where the decision kept another epoch and the run holds it.
    fn trained(self, kept: usize) -> Trained<M> {
        let model = match self.last_model {
            Some(last) if kept != self.best => last,
            _ => self.best_model,
        };
        Trained {
            candidate: self.candidate.clone(),
            kept: self.scores[kept],
            scores: self.scores,
            model,
            history: self.history,
        }
    }
}

/// A candidate's scored epochs, as [`decide`] reads them.
#[derive(Debug, Clone)]
pub struct ScoredRun<'a> {
    /// The candidate's method.
    pub method: Method,
    /// Its label, for the warnings ([`Candidate::label`]).
    pub label: String,
    /// Its scored epochs, in order.
    pub scores: &'a [EpochScore],
}

/// What [`decide`] makes of the scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Each candidate's kept epoch, an index into its scores.
    pub kept: Vec<usize>,
    /// The chosen candidate.
    pub chosen: usize,
    /// What goes with the choice.
    pub warnings: Vec<SelectWarning>,
}

/// The decision [`select`] makes, from the scored epochs alone (`classes` is the number of
/// classes): so that a program holding the scores of earlier runs can replay it.
///
/// Each candidate keeps its best-scored epoch without alarm (its last when every one raised
/// an alarm). The chosen candidate is the best-scored eligible one; the first source-only one
/// when none is eligible (ties go to the earlier candidate, so source-only, listed first by
/// [`grid`], wins them). Where the first source-only run's target predictions at its last
/// epoch spread over too few of the classes ([`SelectConfig::min_spread`]), under
/// [`NoTransfer::RequireStructure`], source-only keeps its last epoch and adapted candidates
/// without enough class structure are not eligible.
///
/// # Errors
///
/// [`SelectError::NoSourceOnly`] without a source-only run, [`SelectError::NoEpoch`] for a
/// run without a scored epoch.
pub fn decide(
    runs: &[ScoredRun<'_>],
    config: &SelectConfig,
    classes: usize,
) -> Result<Decision, SelectError> {
    if runs.iter().any(|r| r.scores.is_empty()) {
        return Err(SelectError::NoEpoch);
    }
    let baseline = runs
        .iter()
        .position(|r| r.method == Method::SourceOnly)
        .ok_or(SelectError::NoSourceOnly)?;
    let last = runs[baseline].scores.len() - 1;
    let unreached = no_transfer(&runs[baseline].scores[last], config, classes);
    let demanding = unreached && config.no_transfer == NoTransfer::RequireStructure;
    let kept = kept_epochs(runs, demanding.then_some((baseline, last)));
    let kept_score = |i: usize| &runs[i].scores[kept[i]];
    let mut chosen: Option<usize> = None;
    for i in 0..runs.len() {
        let score = kept_score(i);
        if score.alarmed {
            continue;
        }
        // Where the source's classes do not reach the target, an adapted candidate must show
        // class structure of its own.
        if demanding && i != baseline && score.structure < config.min_structure {
            continue;
        }
        if chosen.is_none_or(|c| score.score > kept_score(c).score) {
            chosen = Some(i);
        }
    }
    let chosen = chosen.unwrap_or(baseline);
    let mut warnings = Vec::new();
    let collapsed: Vec<String> = runs
        .iter()
        .filter(|r| r.scores.iter().all(|s| s.alarmed))
        .map(|r| r.label.clone())
        .collect();
    if !collapsed.is_empty() {
        warnings.push(SelectWarning::Collapsed {
            candidates: collapsed,
        });
    }
    if unreached {
        warnings.push(SelectWarning::NoTransfer {
            effective_classes: runs[baseline].scores[last].effective_classes,
            classes,
            kept_source_only: demanding && chosen == baseline,
        });
    }
    Ok(Decision {
        kept,
        chosen,
        warnings,
    })
}

/// Each run's kept epoch: its best by [`better`]; with `fixed_last = Some((run, epoch))`,
/// that run keeps that epoch (where the source's classes do not reach the target,
/// source-only stands as trained, at its last epoch: no validator ranking picks among its
/// epochs).
fn kept_epochs(runs: &[ScoredRun<'_>], fixed_last: Option<(usize, usize)>) -> Vec<usize> {
    runs.iter()
        .enumerate()
        .map(|(i, run)| match fixed_last {
            Some((baseline, last)) if i == baseline => last,
            _ => (1..run.scores.len()).fold(0, |best, j| {
                if better(&run.scores[j], Some(&run.scores[best])) {
                    j
                } else {
                    best
                }
            }),
        })
        .collect()
}

/// Whether `new` replaces `kept` as a candidate's kept epoch: an epoch without alarm beats one
/// with, then the higher score; among alarmed epochs only, the later one is kept.
fn better(new: &EpochScore, kept: Option<&EpochScore>) -> bool {
    match kept {
        None => true,
        Some(kept) => match (new.alarmed, kept.alarmed) {
            (false, true) => true,
            (true, false) => false,
            (true, true) => true,
            (false, false) => new.score > kept.score,
        },
    }
}

/// Whether the source's classes fail to reach the target by the source-only model's
/// `last` epoch: the entropy of its mean target prediction, `ln` of its effective classes, is
/// below the configured share of `ln K`.
fn no_transfer(last: &EpochScore, config: &SelectConfig, classes: usize) -> bool {
    last.effective_classes.ln() < config.min_spread * (classes as f64).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An epoch's score, its target predictions spread over 8 of 10 classes with a class
    /// structure of 0.9.
    fn scored(epoch: usize, score: f64, alarmed: bool) -> EpochScore {
        EpochScore {
            epoch,
            score,
            alarmed,
            effective_classes: 8.0,
            structure: 0.9,
        }
    }

    #[test]
    fn params_read_their_names() {
        for param in Param::ALL {
            assert_eq!(param.name().parse::<Param>().unwrap(), param);
        }
        assert_eq!(
            "domain_weight".parse::<Param>().unwrap(),
            Param::DomainWeight
        );
        assert!(matches!(
            "alpha".parse::<Param>(),
            Err(SelectError::UnknownParam(_))
        ));
    }

    #[test]
    fn the_grid_puts_source_only_first_and_varies_what_each_method_reads() {
        let base = DannConfig::recommended().with_domain_weight(0.0);
        let axes = vec![
            (Param::DomainWeight, vec![0.1, 1.0]),
            (Param::SemanticWeight, vec![0.2, 0.5]),
        ];
        let candidates = grid(
            &[Method::Dann, Method::DannMstn, Method::Mmd, Method::Dann],
            &base,
            &axes,
        )
        .unwrap();
        let labels: Vec<String> = candidates.iter().map(Candidate::label).collect();
        assert_eq!(
            labels,
            [
                "source_only",
                "dann domain-weight=0.1",
                "dann domain-weight=1",
                "dann_mstn domain-weight=0.1 semantic-weight=0.2",
                "dann_mstn domain-weight=0.1 semantic-weight=0.5",
                "dann_mstn domain-weight=1 semantic-weight=0.2",
                "dann_mstn domain-weight=1 semantic-weight=0.5",
                "mmd",
            ]
        );
        assert_eq!(candidates[0].config.domain_weight, 0.0);
        assert_eq!(candidates[2].config.domain_weight, 1.0);
        assert_eq!(candidates[4].config.semantic_weight, 0.5);
        assert_eq!(candidates[7].config.mmd_weight, Method::DEFAULT_MMD_WEIGHT);
    }

    #[test]
    fn a_grid_value_that_would_switch_a_term_off_is_an_error() {
        let base = DannConfig::recommended();
        for value in [0.0, -0.3, f64::NAN] {
            let axes = vec![(Param::DomainWeight, vec![0.3, value])];
            let error = grid(&[Method::Dann], &base, &axes).unwrap_err();
            assert!(
                matches!(error, SelectError::BadValue { param: Param::DomainWeight, value: v }
                    if v.to_bits() == value.to_bits()),
                "{error:?}"
            );
        }
    }

    #[test]
    fn an_alarmed_epoch_is_kept_only_when_every_epoch_was() {
        assert!(better(&scored(2, 0.1, false), Some(&scored(1, 0.9, true))));
        assert!(!better(&scored(2, 0.9, true), Some(&scored(1, 0.1, false))));
        assert!(better(&scored(2, 0.5, false), Some(&scored(1, 0.1, false))));
        assert!(!better(
            &scored(2, 0.1, false),
            Some(&scored(1, 0.5, false))
        ));
    }

    /// A run of one scored epoch.
    fn run(method: Method, score: f64, alarmed: bool) -> (Method, Vec<EpochScore>) {
        (method, vec![scored(1, score, alarmed)])
    }

    /// The chosen index and the warnings [`decide`] gives for `list`, ten classes.
    fn choose(
        list: &[(Method, Vec<EpochScore>)],
        config: &SelectConfig,
    ) -> (usize, Vec<SelectWarning>) {
        let decision = decide(&scored_runs(list), config, 10).unwrap();
        (decision.chosen, decision.warnings)
    }

    fn scored_runs(list: &[(Method, Vec<EpochScore>)]) -> Vec<ScoredRun<'_>> {
        list.iter()
            .map(|(method, scores)| ScoredRun {
                method: *method,
                label: method.name().to_string(),
                scores,
            })
            .collect()
    }

    #[test]
    fn the_choice_skips_alarmed_candidates_and_falls_back_to_source_only() {
        let config = SelectConfig::new(Validator::default(), 1);
        let choose = |list: &[(Method, Vec<EpochScore>)]| choose(list, &config);
        let list = [
            run(Method::SourceOnly, 0.1, false),
            run(Method::Dann, 0.9, true),
            run(Method::DannMstn, 0.5, false),
        ];
        let (chosen, warnings) = choose(&list);
        assert_eq!(chosen, 2);
        assert_eq!(
            warnings,
            vec![SelectWarning::Collapsed {
                candidates: vec!["dann".to_string()]
            }]
        );
        let list = [
            run(Method::Dann, 0.9, true),
            run(Method::SourceOnly, 0.1, true),
        ];
        assert_eq!(choose(&list).0, 1);
        // A tie goes to the earlier candidate.
        let list = [
            run(Method::SourceOnly, 0.5, false),
            run(Method::Dann, 0.5, false),
        ];
        assert_eq!(choose(&list), (0, Vec::new()));
        // No source-only run, or a run without a scored epoch: refused.
        let config = SelectConfig::new(Validator::default(), 1);
        let dann_only = [run(Method::Dann, 0.5, false)];
        assert!(matches!(
            decide(&scored_runs(&dann_only), &config, 10),
            Err(SelectError::NoSourceOnly)
        ));
        let empty = [(Method::SourceOnly, Vec::new())];
        assert!(matches!(
            decide(&scored_runs(&empty), &config, 10),
            Err(SelectError::NoEpoch)
        ));
    }

    #[test]
    fn where_the_source_classes_do_not_reach_adaptation_needs_class_structure() {
        let mut list = [
            run(Method::SourceOnly, 0.1, false),
            run(Method::Dann, 0.9, false),
            run(Method::Mmd, 0.5, false),
        ];
        let spread = |list: &mut [(Method, Vec<EpochScore>)], classes: f64| {
            list[0].1.last_mut().unwrap().effective_classes = classes;
        };
        // Source-only's target predictions at its last epoch spread over 3.1 of 10 classes:
        // below sqrt(10) = 3.16, half the entropy of ten even classes.
        spread(&mut list, 3.1);
        let config = SelectConfig::new(Validator::default(), 1);
        let warning = |kept_source_only| SelectWarning::NoTransfer {
            effective_classes: 3.1,
            classes: 10,
            kept_source_only,
        };
        // DANN scores best and shows structure 0.9 (at least 0.8): chosen, with the warning.
        assert_eq!(choose(&list, &config), (1, vec![warning(false)]));
        // Without structure DANN is passed over for MMD, the next with structure.
        list[1].1[0].structure = 0.7;
        assert_eq!(choose(&list, &config), (2, vec![warning(false)]));
        // With none, source-only is kept, and the warning says so.
        list[2].1[0].structure = 0.79;
        assert_eq!(choose(&list, &config), (0, vec![warning(true)]));
        // `Choose` goes by the scores alone; a lower bar lets DANN back in.
        let choosing = config.clone().with_no_transfer(NoTransfer::Choose);
        assert_eq!(choose(&list, &choosing), (1, vec![warning(false)]));
        let lenient = config.clone().with_min_structure(0.7);
        assert_eq!(choose(&list, &lenient), (1, vec![warning(false)]));
        // At 3.2 of 10 classes, or with a lower spread bar (10^0.4 = 2.5 classes), the rule is
        // off: the scores choose, without a warning.
        spread(&mut list, 3.2);
        assert_eq!(choose(&list, &config), (1, Vec::new()));
        spread(&mut list, 3.1);
        let lower = config.clone().with_min_spread(0.4);
        assert_eq!(choose(&list, &lower), (1, Vec::new()));
        // Only source-only's spread is read: an adapted candidate's does not count.
        spread(&mut list, 8.0);
        list[1].1.last_mut().unwrap().effective_classes = 1.0;
        assert_eq!(choose(&list, &config), (1, Vec::new()));

        // Source-only keeps its best-scored epoch, or, where the rule fires, its last.
        let mut baseline = vec![scored(1, 0.6, false), scored(2, 0.2, false)];
        baseline[1].effective_classes = 3.1;
        let two_epochs = [
            (Method::SourceOnly, baseline),
            run(Method::Dann, 0.9, false),
        ];
        let kept =
            |config: &SelectConfig| decide(&scored_runs(&two_epochs), config, 10).unwrap().kept;
        assert_eq!(kept(&config), vec![1, 0]);
        assert_eq!(kept(&choosing), vec![0, 0]);
    }
}
