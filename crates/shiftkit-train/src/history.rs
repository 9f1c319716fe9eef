use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Alarm;

/// What one epoch of training did: ShiftKit's history keys, then extras.
///
/// Serialised by `serde_json`, the first eight fields carry exactly the names of ShiftKit's
/// history (`epoch`, `ce_loss`, `domain_loss`, `semantic_loss`, `mmd_loss`, `total_loss`,
/// `src_acc`, `tgt_acc`), so scripts written for it keep working.
///
/// Losses are means over the epoch's steps. `src_acc` is measured on the source training
/// batches, from the same forward pass that trains (training mode: dropout active); `tgt_acc`
/// and `tgt_majority` by an evaluation-mode pass over the target batches of every
/// [`track_every`](crate::DannConfig::track_every)-th step, with their labels, which training
/// never reads. For accuracy on held-out data, use
/// [`DannTrainer::evaluate`](crate::DannTrainer::evaluate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch, 1-based, counting across calls to `fit`.
    pub epoch: usize,
    /// Mean source cross-entropy.
    pub ce_loss: f64,
    /// Mean domain (discriminator) binary cross-entropy; 0 during warmup.
    pub domain_loss: f64,
    /// Mean MSTN centroid-alignment loss; 0 when disabled and during warmup.
    pub semantic_loss: f64,
    /// Mean multi-kernel MMD loss; 0 when the MMD term is off and during warmup.
    pub mmd_loss: f64,
    /// Mean of the weighted total, `ce + sum_i w_i L_i`.
    pub total_loss: f64,
    /// Accuracy on the source training batches.
    pub src_acc: f64,
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
    /// Mean losses of the terms without a field of their own (`"coral"`, `"mcc"`, terms of your
    /// own), by name; absent from the JSON when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_losses: BTreeMap<String, f64>,
    /// The collapse guard's alarms for this epoch (see [`Alarm`]); absent from the JSON when
    /// the epoch was healthy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<Alarm>,
}

impl EpochRecord {
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
