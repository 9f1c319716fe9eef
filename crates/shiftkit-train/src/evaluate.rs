use burn::data::dataloader::DataLoader;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor};
use serde::{Deserialize, Serialize};
use shiftkit_data::DomainBatch;
use shiftkit_nn::{Encoder, NnError, host_backend};

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
/// Correct predictions are counted on the device and read once at the end. On a backend whose
/// tensors are not in host memory (CUDA, wgpu), a batch shorter than the loader's first is
/// padded with zeros to the first's length, and the padding's predictions are left out: the
/// model meets one input shape, and a GPU backend tunes its kernels once (the model is in
/// evaluation mode, where every example's prediction is its own).
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
    evaluate_padded(model, loader, domain, None)
}

/// [`evaluate`], padding short batches (`pad`) or not; `None` decides by the backend.
pub(crate) fn evaluate_padded<B, M, const D: usize>(
    model: &M,
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    domain: &str,
    pad: Option<bool>,
) -> Result<EvalResult, TrainError>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let (mut pad, mut length) = (pad, None);
    let mut correct: Option<Tensor<B, 1, Int>> = None;
    let mut n_samples = 0;
    for batch in loader.iter() {
        let n = batch.len();
        if n == 0 {
            continue;
        }
        check_batch(model, &batch.inputs.dims(), domain)?;
        let length = *length.get_or_insert(n);
        let pad = *pad.get_or_insert_with(|| !host_backend::<B>(&batch.labels.device()));
        let inputs = if pad && n < length {
            let mut dims = batch.inputs.dims();
            dims[0] = length - n;
            let zeros = Tensor::zeros(dims, &batch.inputs.device());
            Tensor::cat(vec![batch.inputs, zeros], 0)
        } else {
            batch.inputs
        };
        let logits = model.forward(inputs);
        let hits = count_correct(logits.slice(0..n), batch.labels);
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

/// A regression's errors on one domain's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionResult {
    /// The name given to the data, for example `"target-test"`.
    pub domain: String,
    /// The mean absolute error.
    pub mae: f64,
    /// The root of the mean squared error.
    pub rmse: f64,
    /// The coefficient of determination, `1 - SS_res / SS_tot` (1 is perfect, 0 is the
    /// values' mean; `NaN` when every value is the same).
    pub r2: f64,
    /// How many examples were seen.
    pub n_samples: usize,
}

/// The errors of `model`'s first output against the values of every batch of `loader`
/// ([`DomainBatch::values`]), in evaluation mode.
///
/// # Errors
///
/// [`TrainError::EmptyLoader`] when the loader yields no example;
/// [`TrainError::MissingValues`] for a batch without values; [`TrainError::InputShape`] (or
/// [`TrainError::Network`]) for inputs of a shape the model does not take.
pub fn evaluate_values<B, M, const D: usize>(
    model: &M,
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    domain: &str,
) -> Result<RegressionResult, TrainError>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let (mut predicted, mut expected) = (Vec::new(), Vec::new());
    for batch in loader.iter() {
        let n = batch.len();
        if n == 0 {
            continue;
        }
        check_batch(model, &batch.inputs.dims(), domain)?;
        let values = batch.values.ok_or_else(|| TrainError::MissingValues {
            domain: domain.to_string(),
        })?;
        let outputs = model.forward(batch.inputs).slice([0..n, 0..1]).reshape([n]);
        let read = |x: Tensor<B, 1>| x.into_data().convert::<f64>().to_vec::<f64>();
        predicted.extend(read(outputs).unwrap_or_default());
        expected.extend(read(values).unwrap_or_default());
    }
    if expected.is_empty() {
        return Err(TrainError::EmptyLoader {
            domain: domain.to_string(),
        });
    }
    Ok(RegressionResult::measure(domain, &predicted, &expected))
}

impl RegressionResult {
    /// MAE, RMSE and R² of `predicted` against `expected` (pairs beyond the shorter are left
    /// out), reported under the name `domain`. Without a pair the errors are `NaN`.
    pub fn measure(domain: &str, predicted: &[f64], expected: &[f64]) -> Self {
        let n_samples = predicted.len().min(expected.len());
        let (predicted, expected) = (&predicted[..n_samples], &expected[..n_samples]);
        let n = n_samples as f64;
        let errors = predicted.iter().zip(expected).map(|(p, e)| p - e);
        let mae = errors.clone().map(f64::abs).sum::<f64>() / n;
        let squared = errors.map(|e| e * e).sum::<f64>();
        let mean = expected.iter().sum::<f64>() / n;
        let total = expected.iter().map(|e| (e - mean).powi(2)).sum::<f64>();
        RegressionResult {
            domain: domain.to_string(),
            mae,
            rmse: (squared / n).sqrt(),
            r2: if total > 0.0 {
                1.0 - squared / total
            } else {
                f64::NAN
            },
            n_samples,
        }
    }
}

/// How many rows of `logits` have their argmax at `labels`, as a one-element tensor.
pub(crate) fn count_correct<B: Backend>(
    logits: Tensor<B, 2>,
    labels: Tensor<B, 1, Int>,
) -> Tensor<B, 1, Int> {
    let [n, _] = logits.dims();
    logits.argmax(1).reshape([n]).equal(labels).int().sum()
}

#[cfg(test)]
mod tests {
    use burn::backend::Flex;
    use burn::data::dataloader::DataLoaderBuilder;
    use shiftkit_data::{PointBatcher, PointDataset};
    use shiftkit_nn::ShallowEncoderConfig;

    use super::evaluate_padded;

    #[test]
    fn padding_short_batches_changes_no_prediction() {
        let device = Default::default();
        let model = ShallowEncoderConfig::new().init::<Flex>(&device).unwrap();
        let points: Vec<[f32; 2]> = (0..45)
            .map(|i| [(i as f32 * 0.37).sin() * 2.0, (i as f32 * 0.11).cos()])
            .collect();
        let labels = (0..45).map(|i| (i % 2) as u8).collect();
        let data = PointDataset::new(points, labels).unwrap();
        // Batches of 16, 16 and 13: the last one padded to 16.
        let loader = DataLoaderBuilder::new(PointBatcher)
            .batch_size(16)
            .build(data);
        let plain = evaluate_padded(&model, loader.as_ref(), "test", Some(false)).unwrap();
        let padded = evaluate_padded(&model, loader.as_ref(), "test", Some(true)).unwrap();
        assert_eq!(plain, padded);
        assert_eq!(padded.n_samples, 45);
        assert!(plain.accuracy > 0.0 && plain.accuracy < 1.0, "{plain:?}");
    }
}
