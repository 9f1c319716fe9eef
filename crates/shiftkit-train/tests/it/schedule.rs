//! The alpha schedule: known values, laws, and what the trainer applies step by step.

use crate::common;
use common::serial;

use common::{assert_ramp, observed_run};
use proptest::prelude::*;
use shiftkit_train::{
    DannConfig, GAMMA, LrSchedule, ScheduleGranularity, scheduled_alpha, scheduled_lr,
};

#[test]
fn known_values() {
    let _serial = serial();
    // alpha_p = 2 / (1 + exp(-10 p)) - 1
    assert_eq!(scheduled_alpha(1.0, GAMMA, 0.0), 0.0);
    let at = |p: f64| 2.0 / (1.0 + (-10.0 * p).exp()) - 1.0;
    assert!((scheduled_alpha(1.0, GAMMA, 0.1) - 0.462_117_157_260_009_8).abs() < 1e-15);
    assert!((scheduled_alpha(1.0, GAMMA, 0.5) - 0.986_614_298_151_430_5).abs() < 1e-15);
    assert!((scheduled_alpha(1.0, GAMMA, 1.0) - 0.999_909_204_262_595_2).abs() < 1e-15);
    assert!((scheduled_alpha(2.0, GAMMA, 0.5) - 2.0 * at(0.5)).abs() < 1e-15);
    // p is clamped to [0, 1].
    assert_eq!(
        scheduled_alpha(1.0, GAMMA, 7.0),
        scheduled_alpha(1.0, GAMMA, 1.0)
    );
    assert_eq!(scheduled_alpha(1.0, GAMMA, -1.0), 0.0);
    // The DANN paper's learning-rate annealing: mu_p = mu_0 / (1 + 10 p)^0.75.
    assert_eq!(scheduled_lr(0.01, LrSchedule::Constant, 0.7), 0.01);
    assert!((scheduled_lr(0.01, LrSchedule::Anneal, 1.0) - 0.01 / 11f64.powf(0.75)).abs() < 1e-15);
}

proptest! {
    #[test]
    fn schedule_is_monotone_starts_at_zero_and_stays_below_alpha(
        alpha in 0.0f64..10.0, p in 0.0f64..1.0, q in 0.0f64..1.0,
    ) {
        let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
        prop_assert!(scheduled_alpha(alpha, GAMMA, lo) <= scheduled_alpha(alpha, GAMMA, hi));
        prop_assert!(scheduled_alpha(alpha, GAMMA, hi) < alpha || alpha == 0.0);
        prop_assert!(scheduled_alpha(alpha, GAMMA, lo) >= 0.0);
    }
}

#[test]
fn per_step_ramp_moves_every_step_from_zero() {
    let _serial = serial();
    let (trainer, _, seen) = observed_run(DannConfig::new().with_alpha(0.8), 0, 3);
    let total = 3 * trainer.steps_per_epoch();
    assert_eq!(seen.0.len(), total);
    assert_ramp(&seen.alphas(), 0.8, total);
}

#[test]
fn per_epoch_ramp_holds_within_an_epoch() {
    let _serial = serial();
    let config = DannConfig::new().with_schedule_granularity(ScheduleGranularity::Epoch);
    let (_, history, seen) = observed_run(config, 0, 4);
    for report in &seen.0 {
        let (epoch, alpha) = (report.epoch, report.alpha);
        let expected = scheduled_alpha(1.0, GAMMA, epoch as f64 / 4.0);
        assert!((alpha - expected).abs() < 1e-12);
    }
    for record in &history {
        assert!(
            (record.alpha - scheduled_alpha(1.0, GAMMA, record.epoch as f64 / 4.0)).abs() < 1e-12
        );
    }
}

#[test]
fn fixed_alpha_when_the_schedule_is_off() {
    let _serial = serial();
    let config = DannConfig::new().with_schedule_alpha(false).with_alpha(0.3);
    let (_, _, seen) = observed_run(config, 0, 2);
    assert!(seen.alphas().iter().all(|alpha| *alpha == 0.3));
}
