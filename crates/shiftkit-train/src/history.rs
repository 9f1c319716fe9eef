use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Alarm;

/// The history keys of ShiftKit's terms: a [`EpochRecord`] always has their losses, 0 where
/// the run has no such term, and its JSON gives them ShiftKit's names (`domain_loss`, ...).
pub const SHIFTKIT_TERMS: [&str; 3] = ["domain", "semantic", "mmd"];

/// What one epoch of training did: ShiftKit's history, then extras.
///
/// Serialised by `serde_json`, the first eight fields carry exactly the names of ShiftKit's
/// history (`epoch`, `ce_loss`, `domain_loss`, `semantic_loss`, `mmd_loss`, `total_loss`,
/// `src_acc`, `tgt_acc`), so scripts written for it keep working. The losses of the other
/// terms follow in `other_losses`, by name.
///
/// Losses are means over the epoch's steps. `src_acc` is measured on the source training
/// batches, from the same forward pass that trains (training mode: dropout active); `tgt_acc`
/// and `tgt_majority` by an evaluation-mode pass over the target batches of every
/// [`track_every`](crate::DannConfig::track_every)-th step, with their labels, which training
/// never reads. For accuracy on held-out data, use
/// [`DannTrainer::evaluate`](crate::DannTrainer::evaluate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RecordJson", into = "RecordJson")]
pub struct EpochRecord {
    /// The epoch, 1-based, counting across calls to `fit`.
    pub epoch: usize,
    /// Mean source cross-entropy.
    pub ce_loss: f64,
    /// Every term's mean unweighted loss, by the term's name
    /// ([`AdaptationTerm::name`](crate::terms::AdaptationTerm::name)): the built-in terms'
    /// (`"domain"`, `"semantic"`, `"mmd"`, `"coral"`, `"mcc"`) and yours alike; 0 during
    /// warmup. ShiftKit's three ([`SHIFTKIT_TERMS`]) are always here. Read one with
    /// [`loss`](Self::loss).
    pub losses: BTreeMap<String, f64>,
    /// Mean of the weighted total, `ce + sum_i w_i L_i`.
    pub total_loss: f64,
    /// Accuracy on the source training batches (0 in a regression).
    pub src_acc: f64,
    /// A regression's mean absolute error on the source training batches; `None` (and absent
    /// from the JSON) for classes.
    pub src_mae: Option<f64>,
    /// Accuracy on the tracked target training batches (their labels are used only here).
    pub tgt_acc: f64,
    /// The reversal strength in force at the epoch's last step.
    pub alpha: f64,
    /// The learning rate in force at the epoch's last step.
    pub lr: f64,
    /// The discriminator's accuracy at telling the domains apart (0.5 is chance: the features
    /// are indistinguishable); 0 during warmup.
    pub disc_acc: f64,
    /// The share of the tracked target training examples predicted as the most frequent
    /// class. Close to 1 means the classifier has collapsed onto one class.
    pub tgt_majority: f64,
    /// Mean Euclidean norm of the source features; a steady climb by orders of magnitude
    /// announces a collapse.
    pub latent_norm: f64,
    /// Whether this epoch was a warmup epoch (source cross-entropy only).
    pub warmup: bool,
    /// Optimiser steps in the epoch.
    pub steps: usize,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
    /// The collapse guard's alarms for this epoch (see [`Alarm`]); absent from the JSON when
    /// the epoch was healthy.
    pub alarms: Vec<Alarm>,
}

/// The JSON layout of an [`EpochRecord`]: ShiftKit's keys for its three terms, the others'
/// losses in `other_losses`.
#[derive(Serialize, Deserialize)]
struct RecordJson {
    epoch: usize,
    ce_loss: f64,
    domain_loss: f64,
    semantic_loss: f64,
    mmd_loss: f64,
    total_loss: f64,
    src_acc: f64,
    tgt_acc: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    src_mae: Option<f64>,
    alpha: f64,
    lr: f64,
    disc_acc: f64,
    tgt_majority: f64,
    latent_norm: f64,
    warmup: bool,
    steps: usize,
    seconds: f64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    other_losses: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    alarms: Vec<Alarm>,
}

impl From<EpochRecord> for RecordJson {
    fn from(record: EpochRecord) -> Self {
        let mut other_losses = record.losses;
        let [domain_loss, semantic_loss, mmd_loss] =
            SHIFTKIT_TERMS.map(|name| other_losses.remove(name).unwrap_or(0.0));
        Self {
            epoch: record.epoch,
            ce_loss: record.ce_loss,
            domain_loss,
            semantic_loss,
            mmd_loss,
            total_loss: record.total_loss,
            src_acc: record.src_acc,
            tgt_acc: record.tgt_acc,
            src_mae: record.src_mae,
            alpha: record.alpha,
            lr: record.lr,
            disc_acc: record.disc_acc,
            tgt_majority: record.tgt_majority,
            latent_norm: record.latent_norm,
            warmup: record.warmup,
            steps: record.steps,
            seconds: record.seconds,
            other_losses,
            alarms: record.alarms,
        }
    }
}

impl From<RecordJson> for EpochRecord {
    fn from(json: RecordJson) -> Self {
        let mut losses = json.other_losses;
        for (name, value) in
            SHIFTKIT_TERMS
                .into_iter()
                .zip([json.domain_loss, json.semantic_loss, json.mmd_loss])
        {
            losses.insert(name.to_string(), value);
        }
        Self {
            epoch: json.epoch,
            ce_loss: json.ce_loss,
            losses,
            total_loss: json.total_loss,
            src_acc: json.src_acc,
            src_mae: json.src_mae,
            tgt_acc: json.tgt_acc,
            alpha: json.alpha,
            lr: json.lr,
            disc_acc: json.disc_acc,
            tgt_majority: json.tgt_majority,
            latent_norm: json.latent_norm,
            warmup: json.warmup,
            steps: json.steps,
            seconds: json.seconds,
            alarms: json.alarms,
        }
    }
}

impl EpochRecord {
    /// The mean loss of the term named `name` (0 for a term the run does not have).
    pub fn loss(&self, name: &str) -> f64 {
        self.losses.get(name).copied().unwrap_or(0.0)
    }

    /// Whether the target predictions have collapsed onto one class: more than `threshold` of
    /// the target examples predicted as the same class.
    pub fn collapsed(&self, threshold: f64) -> bool {
        self.tgt_majority > threshold
    }

    /// How many times this epoch's `latent_norm` exceeds the smallest of `earlier` epochs'
    /// (`None` without an earlier epoch with a positive norm).
    pub fn latent_growth(&self, earlier: &[EpochRecord]) -> Option<f64> {
        let smallest = earlier
            .iter()
            .map(|record| record.latent_norm)
            .filter(|norm| *norm > 0.0)
            .min_by(f64::total_cmp)?;
        Some(self.latent_norm / smallest)
    }
}
