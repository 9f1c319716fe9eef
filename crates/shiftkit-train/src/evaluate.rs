use burn::data::dataloader::DataLoader;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor};
use serde::{Deserialize, Serialize};
use shiftkit_data::DomainBatch;
use shiftkit_nn::{Encoder, NnError};

use crate::TrainError;

/// The accuracy of a model on one domain's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    /// The name given to the data, for example `"target-test"`.
    pub domain: String,
    /// The share of examples whose predicted class (argmax of the logits) is their label.
    pub accuracy: f64,
    /// How many examples were seen.
    pub n_samples: usize,
}

/// Checks a batch's dimensions (batch dimension first) against what `model` takes, naming the
/// data's `domain` in the error.
pub(crate) fn check_batch<B: Backend, M: Encoder<B>>(
    model: &M,
    dims: &[usize],
    domain: &str,
) -> Result<(), TrainError> {
    model.check_input(dims).map_err(|error| match error {
        NnError::InputShape { expected, found } => TrainError::InputShape {
            domain: domain.to_string(),
            expected,
            found,
        },
        other => TrainError::Network(other),
    })
}

/// The accuracy of `model` over every batch of `loader`.
///
/// Correct predictions are counted on the device and read once at the end.
///
/// # Errors
///
/// [`TrainError::EmptyLoader`] when the loader yields no example.
pub fn evaluate<B, M, const D: usize>(
    model: &M,
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    domain: &str,
) -> Result<EvalResult, TrainError>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let mut correct: Option<Tensor<B, 1, Int>> = None;
    let mut n_samples = 0;
    for batch in loader.iter() {
        let n = batch.len();
        if n == 0 {
            continue;
        }
        check_batch(model, &batch.inputs.dims(), domain)?;
        let hits = count_correct(model.forward(batch.inputs), batch.labels);
        correct = Some(match correct {
            Some(sum) => sum + hits,
            None => hits,
        });
        n_samples += n;
    }
    let Some(correct) = correct else {
        return Err(TrainError::EmptyLoader {
            domain: domain.to_string(),
        });
    };
    let correct = correct.into_scalar().elem::<i64>() as f64;
    Ok(EvalResult {
        domain: domain.to_string(),
        accuracy: correct / n_samples as f64,
        n_samples,
    })
}

/// How many rows of `logits` have their argmax at `labels`, as a one-element tensor.
pub(crate) fn count_correct<B: Backend>(
    logits: Tensor<B, 2>,
    labels: Tensor<B, 1, Int>,
) -> Tensor<B, 1, Int> {
    let [n, _] = logits.dims();
    logits.argmax(1).reshape([n]).equal(labels).int().sum()
}
