//! The label-free choice on the moons pair: it trains every candidate, keeps each one's
//! best-scored epoch, chooses the best eligible candidate, never reads a target label, and
//! refuses a candidate list without source-only.

use crate::common;
use common::{eval_loader, moons, moons_trainer, parameters, serial};

use shiftkit_data::PointDataset;
use shiftkit_select::{
    Candidate, NoTransfer, Param, SelectConfig, SelectError, SelectWarning, grid, select,
};
use shiftkit_train::{DannConfig, Method};
use shiftkit_validate::Validator;

fn base() -> DannConfig {
    DannConfig::new()
}

/// Source-only, then DANN at domain weights 0.1 and 1.0.
fn dann_at_two_weights() -> Vec<Candidate> {
    grid(
        &[Method::Dann],
        &base(),
        &[(Param::DomainWeight, vec![0.1, 1.0])],
    )
    .unwrap()
}

#[test]
fn every_candidate_is_trained_scored_and_the_best_eligible_one_chosen() {
    let _serial = serial();
    let pair = moons(3);
    let candidates = dann_at_two_weights();
    let config = SelectConfig::new(Validator::Im, 3).with_choose_epoch(true);
    let mut seen = Vec::new();
    let selection = select(
        &candidates,
        |candidate| Ok(moons_trainer(&pair, candidate.config.clone(), 3)),
        eval_loader(pair.source_test.clone()).as_ref(),
        eval_loader(pair.target_train.clone()).as_ref(),
        &config,
        |candidate, epoch, _, _| seen.push((candidate.label(), epoch)),
    )
    .unwrap();

    assert_eq!(selection.candidates.len(), 3);
    assert_eq!(seen.len(), 9, "three candidates, three scored epochs each");
    for trained in &selection.candidates {
        assert_eq!(trained.scores.len(), 3);
        assert_eq!(trained.history.len(), 3);
        // The kept epoch is the best-scored one without alarm.
        let best = trained
            .scores
            .iter()
            .filter(|s| !s.alarmed)
            .max_by(|a, b| a.score.total_cmp(&b.score));
        if let Some(best) = best {
            assert_eq!(trained.kept, *best);
        }
    }
    let chosen = selection.best();
    assert!(chosen.eligible);
    for trained in selection.candidates.iter().filter(|t| t.eligible) {
        assert!(trained.kept.score <= chosen.kept.score);
    }

    // A candidate's run is the run a trainer makes alone with the same configuration.
    let mut alone = moons_trainer(&pair, candidates[2].config.clone(), 3).with_planned_epochs(3);
    alone.fit(3).unwrap();
    assert_eq!(
        selection.candidates[2].history.last().unwrap().src_acc,
        alone.history().last().unwrap().src_acc
    );
    if selection.candidates[2].kept.epoch == 3 {
        assert_eq!(
            parameters(&selection.candidates[2].model),
            parameters(alone.model())
        );
    }
}

#[test]
fn no_target_label_reaches_the_score() {
    let _serial = serial();
    let pair = moons(5);
    // The target rows with every label flipped: scores must not move.
    let flipped = PointDataset::new(
        pair.target_train.points().to_vec(),
        pair.target_train.labels().iter().map(|l| 1 - l).collect(),
    )
    .unwrap();
    let candidates = grid(&[Method::Dann], &base(), &[]).unwrap();
    let run = |target: PointDataset, validator: Validator| {
        let config = SelectConfig::new(validator, 2);
        let selection = select(
            &candidates,
            |candidate| Ok(moons_trainer(&pair, candidate.config.clone(), 5)),
            eval_loader(pair.source_test.clone()).as_ref(),
            eval_loader(target).as_ref(),
            &config,
            |_, _, _, _| {},
        )
        .unwrap();
        selection
            .candidates
            .iter()
            .map(|t| t.kept.score.to_bits())
            .collect::<Vec<_>>()
    };
    for validator in [Validator::Im, Validator::Dev] {
        assert_eq!(
            run(pair.target_train.clone(), validator),
            run(flipped.clone(), validator),
            "{validator}"
        );
    }
}

#[test]
fn a_list_without_source_only_or_epochs_is_refused() {
    let pair = moons(1);
    let source = eval_loader(pair.source_test.clone());
    let target = eval_loader(pair.target_train.clone());
    let try_select = |candidates: &[shiftkit_select::Candidate], epochs| {
        select(
            candidates,
            |candidate| Ok(moons_trainer(&pair, candidate.config.clone(), 1)),
            source.as_ref(),
            target.as_ref(),
            &SelectConfig::new(Validator::Entropy, epochs),
            |_, _, _, _| {},
        )
        .map(|_| ())
    };
    let adaptation_only: Vec<_> = grid(&[Method::Dann], &base(), &[])
        .unwrap()
        .into_iter()
        .filter(|c| c.method != Method::SourceOnly)
        .collect();
    assert!(matches!(
        try_select(&adaptation_only, 1),
        Err(SelectError::NoSourceOnly)
    ));
    assert!(matches!(try_select(&[], 1), Err(SelectError::NoCandidate)));
    assert!(matches!(
        try_select(&grid(&[], &base(), &[]).unwrap(), 0),
        Err(SelectError::NoEpoch)
    ));
}

#[test]
fn where_the_source_classes_do_not_reach_source_only_stands_at_its_last_epoch() {
    let _serial = serial();
    let pair = moons(7);
    let candidates = grid(&[Method::Dann], &base(), &[]).unwrap();
    let run = |config: SelectConfig| {
        select(
            &candidates,
            |candidate| Ok(moons_trainer(&pair, candidate.config.clone(), 7)),
            eval_loader(pair.source_test.clone()).as_ref(),
            eval_loader(pair.target_train.clone()).as_ref(),
            &config,
            |_, _, _, _| {},
        )
        .unwrap()
    };
    let config = SelectConfig::new(Validator::Im, 3).with_choose_epoch(true);
    // The moons' classes are balanced on both domains: at the default spread no warning.
    let default = run(config.clone());
    assert!(
        !default
            .warnings
            .iter()
            .any(|w| matches!(w, SelectWarning::NoTransfer { .. })),
        "{:?}",
        default.warnings
    );
    // Asking for the full entropy of two classes makes any imbalance count as not reached;
    // asking for full structure leaves no adapted candidate eligible.
    let strict = config.with_min_spread(1.0).with_min_structure(1.0);
    let kept = run(strict.clone());
    let baseline = &kept.candidates[0];
    assert_eq!(baseline.candidate.method, Method::SourceOnly);
    assert_eq!(kept.chosen, 0);
    let spread = baseline.scores.last().unwrap().effective_classes;
    assert!((1.0..2.0).contains(&spread), "{spread}");
    let no_transfer = |selection: &shiftkit_select::Selection<_>| {
        selection
            .warnings
            .iter()
            .filter(|w| matches!(w, SelectWarning::NoTransfer { .. }))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        no_transfer(&kept),
        vec![SelectWarning::NoTransfer {
            effective_classes: spread,
            classes: 2,
            kept_source_only: true,
        }]
    );
    // Kept as trained: the last epoch, the same weights as a source-only run alone.
    assert_eq!(baseline.kept, *baseline.scores.last().unwrap());
    let mut alone = moons_trainer(&pair, candidates[0].config.clone(), 7).with_planned_epochs(3);
    alone.fit(3).unwrap();
    assert_eq!(parameters(&baseline.model), parameters(alone.model()));

    // Under `Choose` the scores choose, and the warning says so.
    let chosen = run(strict.with_no_transfer(NoTransfer::Choose));
    // The best-scored eligible candidate; source-only when none is eligible.
    let mut expected = 0;
    let mut best = f64::NEG_INFINITY;
    for (i, trained) in chosen.candidates.iter().enumerate() {
        if trained.eligible && trained.kept.score > best {
            (expected, best) = (i, trained.kept.score);
        }
    }
    assert_eq!(chosen.chosen, expected);
    assert!(matches!(
        no_transfer(&chosen).as_slice(),
        [SelectWarning::NoTransfer {
            kept_source_only: false,
            ..
        }]
    ));
}

#[test]
fn a_spread_or_structure_outside_0_to_1_is_refused() {
    let pair = moons(1);
    for share in [-0.1, 1.5, f64::NAN] {
        for config in [
            SelectConfig::new(Validator::Im, 1).with_min_spread(share),
            SelectConfig::new(Validator::Im, 1).with_min_structure(share),
        ] {
            let result = select(
                &grid(&[], &base(), &[]).unwrap(),
                |candidate| Ok(moons_trainer(&pair, candidate.config.clone(), 1)),
                eval_loader(pair.source_test.clone()).as_ref(),
                eval_loader(pair.target_train.clone()).as_ref(),
                &config,
                |_, _, _, _| {},
            );
            assert!(
                matches!(result, Err(SelectError::Share(s)) if s.to_bits() == share.to_bits()),
                "{share}"
            );
        }
    }
}

#[test]
fn a_candidate_that_diverges_is_left_out_and_the_others_are_chosen_from() {
    let _serial = serial();
    let pair = moons(3);
    let candidates = dann_at_two_weights();
    let selection = select(
        &candidates,
        |candidate| {
            let trainer = moons_trainer(&pair, candidate.config.clone(), 3);
            if candidate.config.term_weight("domain") == Some(1.0) {
                // NaN in its second epoch.
                let step = trainer.steps_per_epoch() + 2;
                trainer.with_term(common::Poison::at(step))
            } else {
                Ok(trainer)
            }
        },
        eval_loader(pair.source_test.clone()).as_ref(),
        eval_loader(pair.target_train.clone()).as_ref(),
        &SelectConfig::new(Validator::Im, 3),
        |_, _, _, _| {},
    )
    .unwrap();
    let labels: Vec<String> = selection
        .candidates
        .iter()
        .map(|t| t.candidate.label())
        .collect();
    assert_eq!(labels, ["source_only", "dann domain-weight=0.1"]);
    assert!(selection.chosen < 2);
    // The failed candidate is kept in the result, with its configuration and its error.
    assert_eq!(selection.failed.len(), 1);
    assert_eq!(
        selection.failed[0].candidate.config.term_weight("domain"),
        Some(1.0)
    );
    assert!(selection.failed[0].error.contains("NaN"));
    assert!(
        matches!(&selection.warnings[0], SelectWarning::Failed { candidate, error }
            if candidate == "dann domain-weight=1" && error.contains("NaN")),
        "{:?}",
        selection.warnings
    );
}
