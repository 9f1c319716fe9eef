//! How a selection trains and scores.

use serde::{Deserialize, Serialize};
use shiftkit_validate::{Validator, ValidatorConfig};

/// How [`select`](crate::select) trains and scores.
#[derive(Debug, Clone)]
pub struct SelectConfig {
    /// The validator that ranks the candidates.
    pub validator: Validator,
    /// Its settings.
    pub validator_config: ValidatorConfig,
    /// Epochs to train each candidate (unless [`steps`](Self::steps) is set).
    pub epochs: usize,
    /// Optimiser steps to train each candidate, rounded up to whole epochs of its trainer;
    /// when set, [`epochs`](Self::epochs) is not read.
    pub steps: Option<usize>,
    /// Score every epoch and keep each candidate's best-scored one (`true`), or score the last
    /// epoch only.
    pub choose_epoch: bool,
    /// At most this many rows of each domain are read for a score.
    pub max_rows: usize,
    /// The least spread of the source-only model's target predictions for the target to count
    /// as reached by the source's classes: the entropy of its mean prediction over `ln K`, in
    /// `[0, 1]` (0.5 by default: at least `sqrt(K)` [`effective_classes`](shiftkit_validate::effective_classes)). Below it,
    /// [`Self::no_transfer`] decides. Read on the entropy's scale, one value serves every `K`:
    /// for two classes 0.5 means a split of about 90/10 or worse.
    pub min_spread: f64,
    /// On a target the source's classes do not reach: the least class structure an adapted
    /// candidate's kept epoch must show to stay eligible, as [`information_maximization`](shiftkit_validate::information_maximization)
    /// over `ln K`, in `[0, 1]` (0.8 by default).
    pub min_structure: f64,
    /// What to do on a target the source's classes do not reach.
    pub no_transfer: NoTransfer,
    /// Whether a candidate whose own loss optimises the validator's quantity
    /// ([`optimises`](crate::optimises)) is ranked by it anyway (`false` by default: it cannot be chosen, and
    /// [`SelectWarning::Unranked`](crate::SelectWarning::Unranked) says so).
    pub rank_own_objective: bool,
}

/// What [`select`](crate::select) does when the source-only model's target predictions spread less than
/// [`SelectConfig::min_spread`](crate::SelectConfig::min_spread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoTransfer {
    /// Adapted candidates stay eligible only with [`SelectConfig::min_structure`](crate::SelectConfig::min_structure); source-only
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
            steps: None,
            choose_epoch: false,
            max_rows: 1000,
            min_spread: 0.5,
            min_structure: 0.8,
            no_transfer: NoTransfer::RequireStructure,
            rank_own_objective: false,
        }
    }

    /// Ranks a candidate by the validator even where its own loss optimises the validator's
    /// quantity ([`optimises`](crate::optimises)): for measuring what that costs, not for choosing.
    #[must_use]
    pub fn with_rank_own_objective(mut self, rank: bool) -> Self {
        self.rank_own_objective = rank;
        self
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

    /// Trains each candidate for `steps` optimiser steps, rounded up to whole epochs of its
    /// trainer ([`DannTrainer::steps_per_epoch`](shiftkit_train::DannTrainer::steps_per_epoch)),
    /// instead of a number of epochs.
    #[must_use]
    pub fn with_steps(mut self, steps: usize) -> Self {
        self.steps = Some(steps);
        self
    }

    /// The epochs a candidate whose trainer takes `steps_per_epoch` steps an epoch trains.
    pub fn epochs_for(&self, steps_per_epoch: usize) -> usize {
        match self.steps {
            Some(steps) => steps.div_ceil(steps_per_epoch.max(1)),
            None => self.epochs,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_up_to_whole_epochs() {
        let config = SelectConfig::new(Validator::Im, 4);
        assert_eq!(config.epochs_for(10), 4);
        let config = config.with_steps(25);
        assert_eq!(config.epochs_for(10), 3);
        assert_eq!(config.epochs_for(25), 1);
        assert_eq!(config.epochs_for(0), 25);
        assert_eq!(config.with_steps(0).epochs_for(10), 0);
    }
}
