//! MSTN's semantic term: class centroids of the two domains pulled together.

use burn::config::Config;
use burn::tensor::activation::softmax;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_align::{CentroidAligner, CentroidAlignerConfig, CentroidRecord, CentroidState};

use super::adversarial::check_steepness;
use super::context::TermContext;
use super::{AdaptationTerm, TermInputs, TermOutput};
use crate::TrainError;
use crate::check::check_non_negative;
use crate::schedule::scheduled_alpha;

/// The configuration of [`CentroidAlignment`]: its weight, its ramp, the pseudo-labels it
/// takes and its target centroids.
#[derive(Config, Debug, PartialEq)]
pub struct CentroidAlignmentConfig {
    /// The weight (measured on the MLP; see docs/design.md).
    #[config(default = 0.5)]
    pub weight: f64,
    /// Ramp the weight from 0 with the run's sigmoid,
    /// `weight * (2 / (1 + exp(-gamma p)) - 1)`, as the MSTN paper does; off, the full weight
    /// from the first step.
    #[config(default = true)]
    pub ramp: bool,
    /// The target centroids take only the target samples whose predicted class has at least
    /// this softmax probability, in `[0, 1)`; 0 takes every sample.
    #[config(default = 0.0)]
    pub pseudo_label_confidence: f64,
    /// The target centroids. Their `num_classes` and `latent_dim` are not read: the trainer
    /// takes them from the model.
    #[config(default = "CentroidAlignerConfig::new(2, 1)")]
    pub centroids: CentroidAlignerConfig,
}

impl CentroidAlignmentConfig {
    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `semantic_weight` or
    /// `pseudo_label_confidence`; [`TrainError::Alignment`] for bad centroid settings.
    pub fn check(&self) -> Result<(), TrainError> {
        check_non_negative("semantic_weight", self.weight)?;
        check_confidence(self.pseudo_label_confidence)?;
        Ok(self.aligner(1, 2).check()?)
    }

    /// The centroids' configuration for `latent_dim` features and `num_classes` classes.
    pub fn aligner(&self, latent_dim: usize, num_classes: usize) -> CentroidAlignerConfig {
        let mut config = self.centroids.clone();
        config.num_classes = num_classes;
        config.latent_dim = latent_dim;
        config
    }

    /// The term, on the run's features and classes.
    ///
    /// # Errors
    ///
    /// What [`check`](Self::check) finds, and a bad gamma.
    pub fn init<B: AutodiffBackend>(
        &self,
        run: &TermContext<'_, B>,
    ) -> Result<CentroidAlignment<B>, TrainError> {
        CentroidAlignment::new(
            self.weight,
            self.ramp.then_some(run.gamma),
            self.pseudo_label_confidence,
            &self.aligner(run.latent_dim, run.num_classes),
            run.device,
        )
    }
}

/// Moving semantic transfer (MSTN, Xie et al., ICML 2018): the source class centroids of the
/// batch are pulled towards moving-average target centroids of the pseudo-labelled target
/// (see [`shiftkit_align`] for the formula and the centroid rules):
///
/// ```text
/// pseudo_i = argmax classify(z_t,i)          (optionally only above a softmax confidence)
/// L        = 1/|Q| sum_{k in Q} ||s_k - c_k||² / d
/// w(p)     = semantic_weight * (2 / (1 + exp(-gamma p)) - 1)   (ramped) or semantic_weight
/// ```
///
/// The centroids computed in a step stay pending until the trainer commits the step.
#[derive(Debug)]
pub struct CentroidAlignment<B: AutodiffBackend> {
    weight: f64,
    ramp: Option<f64>,
    confidence: f64,
    aligner: CentroidAligner<B>,
    pending: Option<CentroidState<B>>,
    /// The committed centroids at the last settle, which a roll-back restores.
    settled: Option<CentroidState<B>>,
}

impl<B: AutodiffBackend> CentroidAlignment<B> {
    /// The term with weight `weight` (ramped with steepness `ramp` when given), an aligner
    /// built from `aligner`, and a pseudo-label confidence filter (0 keeps every label).
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a bad weight, ramp steepness or confidence;
    /// [`TrainError::Alignment`] for a bad aligner configuration.
    pub fn new(
        weight: f64,
        ramp: Option<f64>,
        confidence: f64,
        aligner: &CentroidAlignerConfig,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        check_non_negative("semantic_weight", weight)?;
        check_steepness(ramp)?;
        check_confidence(confidence)?;
        Ok(Self {
            weight,
            ramp,
            confidence,
            aligner: aligner.init(device)?,
            pending: None,
            settled: None,
        })
    }

    /// The aligner and its committed target centroids.
    pub fn aligner(&self) -> &CentroidAligner<B> {
        &self.aligner
    }
}

impl<B: AutodiffBackend> AdaptationTerm<B> for CentroidAlignment<B> {
    fn name(&self) -> &str {
        "semantic"
    }

    fn weight(&self, progress: f64) -> f64 {
        match self.ramp {
            Some(gamma) => scheduled_alpha(self.weight, gamma, progress),
            None => self.weight,
        }
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let logits = inputs.target_logits();
        let [n_t, _] = logits.dims();
        let pseudo = logits.clone().argmax(1).reshape([n_t]);
        let pseudo = if self.confidence > 0.0 {
            // Below the confidence, the label `num_classes`, which no class matches: the
            // aligner leaves the sample out.
            let confidence = softmax(logits, 1).max_dim(1).reshape([n_t]);
            pseudo.mask_fill(
                confidence.lower_elem(self.confidence),
                inputs.num_classes as i64,
            )
        } else {
            pseudo
        };
        // The per-class sums and counts, over every peer's batch in a data-parallel run: the
        // centroids are then the union batch's on every peer.
        let peers = inputs.peers();
        let sums = self.aligner.batch_sums(
            inputs.source_features,
            inputs.source_labels,
            inputs.target_features,
            &pseudo,
        )?;
        let (loss, state) = self.aligner.propose_from_sums(peers.union(sums)?)?;
        self.pending = Some(state);
        Ok(TermOutput::loss(peers.global_loss(loss)))
    }

    fn commit(&mut self) {
        if let Some(state) = self.pending.take() {
            self.aligner
                .commit(state)
                .expect("a state proposed by this aligner has its shape");
        }
    }

    fn discard(&mut self) {
        self.pending = None;
    }

    fn settle(&mut self) {
        self.settled = Some(self.aligner.state().clone());
    }

    fn roll_back(&mut self) {
        self.pending = None;
        if let Some(state) = self.settled.clone() {
            self.aligner
                .commit(state)
                .expect("a state of this aligner has its shape");
        }
    }

    fn state(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self.aligner.to_record()).ok()
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        let problem = |problem: String| TrainError::TermState {
            term: self.name().to_string(),
            problem,
        };
        let record: CentroidRecord =
            serde_json::from_value(state).map_err(|e| problem(e.to_string()))?;
        let mine = self.aligner.to_record();
        let ours = (mine.num_classes, mine.latent_dim, mine.momentum, mine.start);
        let theirs = (
            record.num_classes,
            record.latent_dim,
            record.momentum,
            record.start,
        );
        if ours != theirs {
            return Err(problem(format!(
                "saved centroids for (classes, width, momentum, start) {theirs:?}, the term has {ours:?}"
            )));
        }
        let device = self.aligner.state().centroids().device();
        self.aligner = CentroidAligner::from_record(&record, &device)?;
        self.pending = None;
        self.settled = None;
        Ok(())
    }
}

/// Checks a pseudo-label confidence: in `[0, 1)`.
fn check_confidence(confidence: f64) -> Result<(), TrainError> {
    if (0.0..1.0).contains(&confidence) {
        return Ok(());
    }
    Err(TrainError::InvalidHyperParameter {
        name: "pseudo_label_confidence",
        value: confidence,
        expected: "in [0, 1)",
    })
}
