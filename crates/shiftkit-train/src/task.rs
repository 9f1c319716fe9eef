//! What the classifier head predicts: classes, or numbers.

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::check::check_positive;

/// What a run learns from the source's labels.
///
/// - [`Task::Classification`]: class indices, the cross-entropy of the logits (ShiftKit's task).
/// - [`Task::Regression`]: a number per example (the batches'
///   [`values`](shiftkit_data::DomainBatch::values)), predicted by the head's one output
///   (`num_classes = 1`), with a squared or Huber loss. The terms that need classes (MSTN,
///   CDAN, MCC: [`TermConfig::needs_classes`](crate::terms::TermConfig::needs_classes)) are
///   refused; the history's `src_acc` and `tgt_acc` are 0, the source's mean absolute error is
///   in `src_mae`, and the collapse guard watches the features only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum Task {
    /// Classes.
    #[default]
    Classification,
    /// Numbers, with this loss on the source.
    Regression(RegressionLoss),
}

/// The source loss of a regression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RegressionLoss {
    /// The mean squared error.
    MeanSquared,
    /// Huber's loss: squared within `delta` of the value, linear beyond (PyTorch's
    /// `HuberLoss(delta)`): `0.5 e²` for `|e| <= delta`, `delta (|e| - 0.5 delta)` beyond.
    Huber {
        /// Where the loss turns linear, finite and > 0.
        delta: f64,
    },
}

impl Task {
    /// A regression with the mean squared error.
    pub const REGRESSION: Task = Task::Regression(RegressionLoss::MeanSquared);

    /// Whether the run predicts numbers.
    pub fn is_regression(self) -> bool {
        matches!(self, Task::Regression(_))
    }

    /// Checks the loss's setting.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] naming `huber_delta` when it is not finite and
    /// above 0.
    pub fn check(self) -> Result<(), TrainError> {
        match self {
            Task::Regression(RegressionLoss::Huber { delta }) => {
                check_positive("huber_delta", delta)
            }
            _ => Ok(()),
        }
    }
}

impl RegressionLoss {
    /// The mean loss of `predictions` against `values`, `[1]`.
    pub fn loss<B: Backend>(self, predictions: Tensor<B, 1>, values: Tensor<B, 1>) -> Tensor<B, 1> {
        let error = predictions - values;
        match self {
            RegressionLoss::MeanSquared => error.powi_scalar(2).mean(),
            RegressionLoss::Huber { delta } => {
                let size = error.clone().abs();
                let quadratic = size.clone().clamp_max(delta);
                let linear = size - quadratic.clone();
                (quadratic.powi_scalar(2).mul_scalar(0.5) + linear.mul_scalar(delta)).mean()
            }
        }
    }
}

/// The source loss of one step and what it measures besides: the number of right predictions
/// (classes) or the sum of absolute errors (numbers), `[1]`, detached.
pub(crate) fn source_loss<B: Backend>(
    task: Task,
    logits: Tensor<B, 2>,
    labels: Tensor<B, 1, Int>,
    values: Option<Tensor<B, 1>>,
) -> Result<(Tensor<B, 1>, Tensor<B, 1>), TrainError> {
    match task {
        Task::Classification => {
            let correct = crate::evaluate::count_correct(logits.clone().detach(), labels.clone());
            Ok((cross_entropy(logits, labels), correct.float()))
        }
        Task::Regression(loss) => {
            let values = values.ok_or(TrainError::MissingValues {
                domain: "source".to_string(),
            })?;
            let [n, _] = logits.dims();
            let predictions = logits.reshape([n]);
            let absolute = (predictions.clone().detach() - values.clone()).abs().sum();
            Ok((loss.loss(predictions, values), absolute))
        }
    }
}

/// Mean cross-entropy of `logits` against class indices.
///
/// # Shapes
///
/// - logits: `[N, K]`, labels: `[N]`
/// - output: `[1]`
fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let [n, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg()
}
