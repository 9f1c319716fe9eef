//! Training the candidates and scoring their epochs.

use burn::data::dataloader::DataLoader;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor};
use shiftkit_data::DomainBatch;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::Encoder;
use shiftkit_train::{DannTrainer, EpochRecord, Method, TrainError, TrainableEncoder};
use shiftkit_validate::{
    ValidateError, ValidationInputs, Validator, effective_classes, information_maximization,
};

use crate::{
    Candidate, EpochScore, ScoredRun, SelectConfig, SelectError, SelectWarning, decide,
    decide::better,
};

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
    /// Whether the choice could take it: its kept epoch raised no alarm, its loss does not
    /// optimise the validator's quantity ([`optimises`](crate::optimises)), and, where the
    /// source's classes do not reach the target, it shows enough class structure.
    pub eligible: bool,
}

/// A candidate whose training failed (a non-finite loss, or the collapse guard stopping it):
/// left out of the choice, and reported.
#[derive(Debug, Clone)]
pub struct FailedCandidate {
    /// What was trained.
    pub candidate: Candidate,
    /// The error, as its message.
    pub error: String,
}

/// The outcome of [`select`]: every candidate, and the one chosen.
#[derive(Debug, Clone)]
pub struct Selection<M> {
    /// The validator that ranked them.
    pub validator: Validator,
    /// Every candidate trained to the end, in the order given.
    pub candidates: Vec<Trained<M>>,
    /// The candidates whose training failed, in the order given (each also a
    /// [`SelectWarning::Failed`]).
    pub failed: Vec<FailedCandidate>,
    /// The index of the chosen candidate: the best score among the eligible ones (where the
    /// source's classes do not reach the target, only candidates with enough class structure
    /// are); source-only when none is.
    pub chosen: usize,
    /// What the caller should know about this choice; empty when nothing is doubtful.
    pub warnings: Vec<SelectWarning>,
}
impl<M> Selection<M> {
    /// The chosen candidate.
    pub fn best(&self) -> &Trained<M> {
        &self.candidates[self.chosen]
    }
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
    let (source_features, source_logits, source_labels, source_values) =
        outputs(model, source, max_rows, true);
    let (target_features, target_logits, _, _) = outputs(model, target, max_rows, false);
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
    let inputs = ValidationInputs::new(
        cat(source_features),
        cat(source_logits),
        labels,
        cat(target_features),
        cat(target_logits),
    )?;
    // A regression's source rows carry values (every batch of them, or none).
    match source_values {
        Some(values) if !values.is_empty() => inputs.with_source_values(Tensor::cat(values, 0)),
        _ => Ok(inputs),
    }
}

/// The features, logits and (when `labelled`) labels of the first `max_rows` rows of `loader`,
/// with their values where every batch has some (a regression's).
#[allow(clippy::type_complexity)]
fn outputs<B, M, const D: usize>(
    model: &M,
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    max_rows: usize,
    labelled: bool,
) -> (
    Vec<Tensor<B, 2>>,
    Vec<Tensor<B, 2>>,
    Vec<Tensor<B, 1, Int>>,
    Option<Vec<Tensor<B, 1>>>,
)
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let (mut features, mut logits, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    let mut values = labelled.then(Vec::new);
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
            values: batch_values,
        } = batch;
        let inputs = inputs.narrow(0, 0, take);
        let z = model.encode(inputs);
        logits.push(model.classify(z.clone()));
        features.push(z);
        if labelled {
            labels.push(batch_labels.narrow(0, 0, take));
        }
        values = match (values, batch_values) {
            (Some(mut kept), Some(batch_values)) => {
                kept.push(batch_values.narrow(0, 0, take));
                Some(kept)
            }
            _ => None,
        };
    }
    (features, logits, labels, values)
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
    let mut failed: Vec<FailedCandidate> = Vec::new();
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
                source: error @ (TrainError::NonFiniteLoss { .. } | TrainError::Collapsed { .. }),
                ..
            }) if candidate.method != Method::SourceOnly => {
                failed.push(FailedCandidate {
                    candidate: candidate.clone(),
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
        .zip(decision.kept.iter().zip(&decision.eligible))
        .map(|(run, (&kept, &eligible))| run.trained(kept, eligible))
        .collect();
    let mut warnings: Vec<SelectWarning> = failed
        .iter()
        .map(|f| SelectWarning::Failed {
            candidate: f.candidate.label(),
            error: f.error.clone(),
        })
        .collect();
    warnings.extend(decision.warnings);
    Ok(Selection {
        validator: config.validator,
        candidates,
        failed,
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
    if config.steps.unwrap_or(config.epochs) == 0 {
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

/// Trains one candidate for [`SelectConfig::epochs_for`] its trainer and scores the epochs
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
    let epochs = config.epochs_for(trainer.steps_per_epoch());
    let mut trainer = trainer.with_planned_epochs(epochs);
    let mut scores: Vec<EpochScore> = Vec::new();
    let mut best: Option<(usize, M)> = None;
    let mut classes = 0;
    for epoch in 1..=epochs {
        let records = trainer.fit(1).map_err(|source| SelectError::Train {
            candidate: candidate.label(),
            source,
        })?;
        if !config.choose_epoch && epoch < epochs {
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
    fn trained(self, kept: usize, eligible: bool) -> Trained<M> {
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
            eligible,
        }
    }
}
