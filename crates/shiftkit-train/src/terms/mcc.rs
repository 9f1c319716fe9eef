//! Minimum class confusion: the target predictions' confusion between classes.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::{AutodiffBackend, Backend};

use super::{AdaptationTerm, TermInputs, TermOutput};
use crate::TrainError;
use crate::config::{check_non_negative, check_positive};

/// Minimum Class Confusion (MCC, Jin et al., ECCV 2020): how much the target predictions
/// confuse classes with one another, [`class_confusion`]. It reads the target logits alone (no
/// discriminator, no source term), so it pushes the classifier towards confident predictions
/// that spread over the classes, rather than towards any one class.
///
/// Constant weight; reported under `"mcc"`.
#[derive(Debug)]
pub struct ClassConfusion {
    weight: f64,
    temperature: f64,
}

impl ClassConfusion {
    /// The term with weight `weight` and softmax temperature `temperature`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a negative or non-finite weight, or a
    /// temperature that is not finite and above 0.
    pub fn new(weight: f64, temperature: f64) -> Result<Self, TrainError> {
        check_non_negative("mcc_weight", weight)?;
        check_positive("mcc_temperature", temperature)?;
        Ok(Self {
            weight,
            temperature,
        })
    }
}

impl<B: AutodiffBackend> AdaptationTerm<B> for ClassConfusion {
    fn name(&self) -> &str {
        "mcc"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        Ok(TermOutput::loss(class_confusion(
            inputs.target_logits(),
            self.temperature,
        )))
    }
}

/// MCC's loss on a batch of logits `z` `[B, K]`, with temperature `T`:
///
/// ```text
/// Y_ij  = softmax(z_i / T)_j
/// H_i   = -sum_j Y_ij log Y_ij
/// W_ii  = B (1 + exp(-H_i)) / sum_b (1 + exp(-H_b))      constants: no gradient
/// C     = Y^T W Y                                         [K, K], class confusion
/// C~_jk = C_jk / sum_l C_jl                               each row normalised
/// L     = (sum_jk C~_jk - sum_j C~_jj) / K
/// ```
///
/// `L` is in `[0, (K - 1) / K]`: 0 when every prediction is one-hot and every class is
/// predicted in the batch, `(K - 1) / K` when every prediction is uniform; it grows as
/// probability is shared between classes. The weights count certain predictions more, as
/// CDAN+E's do. The row normalisation keeps a class that the batch predicts often from
/// weighing more than a rare one. A class the batch gives no probability at all (every
/// `Y_ij` underflowing to 0) has a row of zeros: it counts 0, not 0/0.
///
/// # Shapes
///
/// - logits: `[B, K]`
/// - output: `[1]`
pub fn class_confusion<B: Backend>(logits: Tensor<B, 2>, temperature: f64) -> Tensor<B, 1> {
    let [batch, classes] = logits.dims();
    let scaled = logits.div_scalar(temperature);
    let probabilities = softmax(scaled.clone(), 1);
    let entropy = (probabilities.clone() * log_softmax(scaled, 1))
        .sum_dim(1)
        .neg();
    let certainty = entropy.neg().exp().add_scalar(1.0).detach();
    let weights = certainty.clone().mul_scalar(batch as f64) / certainty.sum().unsqueeze::<2>();
    let confusion = (probabilities.clone() * weights)
        .transpose()
        .matmul(probabilities);
    let rows = confusion
        .clone()
        .sum_dim(1)
        .clamp_min(f64::from(f32::MIN_POSITIVE));
    let normalised = confusion / rows;
    let diagonal = normalised.clone() * Tensor::eye(classes, &normalised.device());
    (normalised.sum() - diagonal.sum()).div_scalar(classes as f64)
}
