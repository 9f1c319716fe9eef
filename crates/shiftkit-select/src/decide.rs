//! The choice from the scores alone, so that a program holding the scores of earlier runs can
//! replay it.

use serde::{Deserialize, Serialize};
use shiftkit_train::Method;
use shiftkit_validate::Validator;

use crate::{NoTransfer, SelectConfig, SelectError, SelectWarning};

/// Whether `method`'s own loss optimises what `validator` measures, so that its score says
/// how well it met its own objective rather than how well it carried the classes over.
///
/// MCC minimises the confusion between classes of its target predictions: it makes them
/// confident and spread over the classes, which is what [`Validator::Entropy`] (confident),
/// [`Validator::Im`] (confident and spread) and [`Validator::Snd`] (dense neighbourhoods of
/// confident predictions) reward, whether or not the classes are the right ones. On the
/// rotated moons, ranked by IM, MCC won 9 runs of 9 while ending 5 to 20 points below the
/// best method, and below source-only on some seeds (docs/results.md). No other preset's loss
/// reads the target predictions' entropy or balance: CDAN+E's entropy weights are constants
/// of its adversarial loss, and MSTN's pseudo-labels only pick the centroids. The validators
/// that read the held-out source loss ([`Validator::Iwcv`], [`Validator::Dev`]) rank every
/// method.
pub fn optimises(method: Method, validator: Validator) -> bool {
    method == Method::Mcc
        && matches!(
            validator,
            Validator::Entropy | Validator::Im | Validator::Snd
        )
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
    /// The [`effective_classes`](shiftkit_validate::effective_classes) of the target predictions at this epoch.
    pub effective_classes: f64,
    /// Their class structure: [`information_maximization`](shiftkit_validate::information_maximization) over `ln K`, in `[0, 1]`.
    pub structure: f64,
}
/// A candidate's scored epochs, as [`decide`] reads them.
#[derive(Debug, Clone)]
pub struct ScoredRun<'a> {
    /// The candidate's method.
    pub method: Method,
    /// Its label, for the warnings ([`Candidate::label`](crate::Candidate::label)).
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
    /// Whether each candidate could be chosen: its kept epoch raised no alarm, it is ranked
    /// by the validator, its importance-weighted risk is not below 0, and it shows the class
    /// structure the no-transfer rule asks for.
    pub eligible: Vec<bool>,
    /// What goes with the choice.
    pub warnings: Vec<SelectWarning>,
}

/// The decision [`select`](crate::select) makes, from the scored epochs alone (`classes` is the number of
/// classes): so that a program holding the scores of earlier runs can replay it.
///
/// Each candidate keeps its best-scored epoch without alarm (its last when every one raised
/// an alarm). The chosen candidate is the best-scored eligible one; the first source-only one
/// when none is eligible (ties go to the earlier candidate, so source-only, listed first by
/// [`grid`](crate::grid), wins them). Where the first source-only run's target predictions at its last
/// epoch spread over too few of the classes ([`SelectConfig::min_spread`](crate::SelectConfig::min_spread)), under
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
    let unranked =
        |i: usize| !config.rank_own_objective && optimises(runs[i].method, config.validator);
    // Minus a weighted mean of non-negative losses is at most 0; above it, the ratios blew up.
    let unreliable = |i: usize| config.validator.uses_source() && kept_score(i).score > 0.0;
    // Where the source's classes do not reach the target, an adapted candidate must show
    // class structure of its own.
    let eligible: Vec<bool> = (0..runs.len())
        .map(|i| {
            let score = kept_score(i);
            let lacks_structure =
                demanding && i != baseline && score.structure < config.min_structure;
            !(score.alarmed || unranked(i) || unreliable(i) || lacks_structure)
        })
        .collect();
    let mut chosen: Option<usize> = None;
    for i in (0..runs.len()).filter(|&i| eligible[i]) {
        if chosen.is_none_or(|c| kept_score(i).score > kept_score(c).score) {
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
    let unranked: Vec<String> = (0..runs.len())
        .filter(|&i| unranked(i))
        .map(|i| runs[i].label.clone())
        .collect();
    if !unranked.is_empty() {
        warnings.push(SelectWarning::Unranked {
            candidates: unranked,
            validator: config.validator,
        });
    }
    let unreliable: Vec<String> = (0..runs.len())
        .filter(|&i| unreliable(i))
        .map(|i| runs[i].label.clone())
        .collect();
    if !unreliable.is_empty() {
        warnings.push(SelectWarning::Unreliable {
            candidates: unreliable,
            validator: config.validator,
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
        eligible,
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
pub(crate) fn better(new: &EpochScore, kept: Option<&EpochScore>) -> bool {
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

    #[test]
    fn a_candidate_is_not_ranked_by_what_its_own_loss_optimises() {
        // MCC scores best under every validator here.
        let list = [
            run(Method::SourceOnly, 0.1, false),
            run(Method::Dann, 0.5, false),
            run(Method::Mcc, 0.9, false),
        ];
        let unranked = |validator| SelectWarning::Unranked {
            candidates: vec!["mcc".to_string()],
            validator,
        };
        for validator in [Validator::Im, Validator::Entropy, Validator::Snd] {
            let config = SelectConfig::new(validator, 1);
            let decision = decide(&scored_runs(&list), &config, 10).unwrap();
            assert_eq!(decision.chosen, 1, "{validator}");
            assert_eq!(decision.eligible, vec![true, true, false]);
            assert_eq!(decision.warnings, vec![unranked(validator)]);
            // Ranked anyway on request: then it wins.
            let anyway = config.with_rank_own_objective(true);
            assert_eq!(choose(&list, &anyway), (2, Vec::new()));
        }
        // The validators that read the held-out source loss rank it (their scores are minus
        // risks).
        let risks = [
            run(Method::SourceOnly, -0.9, false),
            run(Method::Dann, -0.5, false),
            run(Method::Mcc, -0.1, false),
        ];
        for validator in [Validator::Iwcv, Validator::Dev] {
            let config = SelectConfig::new(validator, 1);
            assert_eq!(choose(&risks, &config), (2, Vec::new()));
            assert!(!optimises(Method::Mcc, validator));
        }
    }

    #[test]
    fn a_risk_below_zero_is_not_ranked() {
        // DEV's control variate gave MMD a risk of -288: unstable density ratios.
        let list = [
            run(Method::SourceOnly, -0.06, false),
            run(Method::Dann, -0.05, false),
            run(Method::Mmd, 288.0, false),
        ];
        let warning = |validator| SelectWarning::Unreliable {
            candidates: vec!["mmd".to_string()],
            validator,
        };
        for validator in [Validator::Iwcv, Validator::Dev] {
            let config = SelectConfig::new(validator, 1);
            let decision = decide(&scored_runs(&list), &config, 10).unwrap();
            assert_eq!(decision.chosen, 1, "{validator}");
            assert_eq!(decision.eligible, vec![true, true, false]);
            assert_eq!(decision.warnings, vec![warning(validator)]);
        }
        // Validators of the target predictions score above 0: no such rule.
        let config = SelectConfig::new(Validator::Im, 1);
        assert_eq!(choose(&list, &config), (2, Vec::new()));
        // No other preset optimises a validator's quantity.
        for method in Method::ALL.into_iter().filter(|&m| m != Method::Mcc) {
            assert!(Validator::ALL.into_iter().all(|v| !optimises(method, v)));
        }
    }

    #[test]
    fn eligibility_follows_the_no_transfer_rule() {
        let mut list = [
            run(Method::SourceOnly, 0.1, false),
            run(Method::Dann, 0.9, false),
            run(Method::Mmd, 0.5, true),
        ];
        list[0].1[0].effective_classes = 3.1;
        list[1].1[0].structure = 0.7;
        let config = SelectConfig::new(Validator::Im, 1);
        let decision = decide(&scored_runs(&list), &config, 10).unwrap();
        assert_eq!(decision.eligible, vec![true, false, false]);
        assert_eq!(decision.chosen, 0);
    }
}
