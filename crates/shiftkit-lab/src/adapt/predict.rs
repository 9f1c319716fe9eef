//! A trained encoder's predictions for every item of a data set, in order, and
//! `predictions.csv`.

use std::fmt::Write as _;
use std::path::Path;

use burn::data::dataloader::DataLoader;
use burn::data::dataloader::batcher::Batcher;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, activation::softmax};
use shiftkit::data::{DomainBatch, Sample, SampleBatcher, SampleDataset};
use shiftkit::nn::Encoder;
use shiftkit::train::RegressionResult;

use super::Failure;
use crate::experiment::eval_loader;

/// One row of `predictions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The predicted class.
    pub class: usize,
    /// Its softmax probability.
    pub confidence: f32,
}

/// `model`'s prediction for every item of `data`, in order (evaluation mode: call it with
/// the inner backend's model).
///
/// # Errors
///
/// Non-finite outputs.
pub fn predict<B, M, const D: usize>(
    model: &M,
    data: &SampleDataset,
    device: &B::Device,
) -> Result<Vec<Prediction>, Failure>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
    SampleBatcher: Batcher<B, Sample, DomainBatch<B, D>>,
{
    per_item(model, data, device, |outputs, out| {
        let probabilities = softmax(outputs, 1);
        let classes: TensorData = probabilities.clone().argmax(1).into_data();
        let confidences: TensorData = probabilities.max_dim(1).into_data();
        let confidences = confidences
            .to_vec::<f32>()
            .map_err(|e| format!("cannot read the predictions: {e:?}"))?;
        for (class, confidence) in classes.iter::<i64>().zip(confidences) {
            if !confidence.is_finite() {
                return Err("the model's outputs are not finite".into());
            }
            out.push(Prediction {
                class: class as usize,
                confidence,
            });
        }
        Ok(())
    })
}

/// `model`'s outputs for every batch of `data`, in order, read by `read` into one entry per
/// item (evaluation mode: call it with the inner backend's model).
///
/// # Errors
///
/// What `read` returns, or fewer entries than items.
fn per_item<B, M, T, const D: usize>(
    model: &M,
    data: &SampleDataset,
    device: &B::Device,
    read: impl FnMut(Tensor<B, 2>, &mut Vec<T>) -> Result<(), Failure>,
) -> Result<Vec<T>, Failure>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
    SampleBatcher: Batcher<B, Sample, DomainBatch<B, D>>,
{
    let loader: std::sync::Arc<dyn DataLoader<B, DomainBatch<B, D>>> =
        eval_loader::<B, Sample, SampleDataset, SampleBatcher, D>(data, data.batcher(), device);
    per_batch(loader.as_ref(), data.len(), |x| model.forward(x), read)
}

/// `forward`'s outputs for every batch of `loader`, in order, read by `read` into one entry
/// per item; `items` is how many the loader holds.
///
/// # Errors
///
/// What `read` returns, or fewer entries than items.
pub(super) fn per_batch<B: Backend, T, const D: usize>(
    loader: &dyn DataLoader<B, DomainBatch<B, D>>,
    items: usize,
    forward: impl Fn(Tensor<B, D>) -> Tensor<B, 2>,
    mut read: impl FnMut(Tensor<B, 2>, &mut Vec<T>) -> Result<(), Failure>,
) -> Result<Vec<T>, Failure> {
    let mut out = Vec::with_capacity(items);
    for batch in loader.iter() {
        read(forward(batch.inputs), &mut out)?;
    }
    if out.len() != items {
        return Err(format!(
            "{} predictions for {items} items: the loader ended early",
            out.len()
        )
        .into());
    }
    Ok(out)
}

/// The share of `predictions` that match `data`'s class labels, where it has them.
pub fn accuracy(data: &SampleDataset, predictions: &[Prediction]) -> Option<f64> {
    data.num_classes()?;
    let labels = data.labels();
    let mut right = 0usize;
    let mut total = 0usize;
    for (label, prediction) in labels.iter().zip(predictions) {
        if let Some(class) = label.class() {
            total += 1;
            right += usize::from(class as usize == prediction.class);
        }
    }
    (total > 0).then(|| right as f64 / total as f64)
}

/// A CSV field, quoted where it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes `predictions.csv`: `item,class,confidence`, one row per item in order; `item` is
/// the image file (images) or the row index from 0 (tables, arrays), `class` the class name.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_predictions(
    path: &Path,
    data: &SampleDataset,
    predictions: &[Prediction],
    classes: &[String],
) -> Result<(), Failure> {
    let mut text = String::from("item,class,confidence\n");
    for (i, prediction) in predictions.iter().enumerate() {
        let item = match data.name(i) {
            Some(name) => name.display().to_string(),
            None => i.to_string(),
        };
        let class = classes
            .get(prediction.class)
            .cloned()
            .unwrap_or_else(|| prediction.class.to_string());
        let _ = writeln!(
            text,
            "{},{},{:.6}",
            field(&item),
            field(&class),
            prediction.confidence
        );
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// The images that failed to decode while reading `data`, as a warning.
pub fn decode_warning(data: &SampleDataset) -> Option<String> {
    let folder = data.image_folder()?;
    let count = folder.decode_failure_count();
    let first = folder.decode_failures().into_iter().next()?;
    Some(format!(
        "{count} image reads failed to decode and were read as blank images; the first: {}: {}",
        first.path.display(),
        first.message
    ))
}

/// A regression `model`'s value for every item of `data`, in order (evaluation mode: call it
/// with the inner backend's model): its first output.
///
/// # Errors
///
/// Non-finite outputs.
pub fn predict_values<B, M, const D: usize>(
    model: &M,
    data: &SampleDataset,
    device: &B::Device,
) -> Result<Vec<f32>, Failure>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
    SampleBatcher: Batcher<B, Sample, DomainBatch<B, D>>,
{
    per_item(model, data, device, |outputs, out| {
        let [n, _] = outputs.dims();
        let outputs: TensorData = outputs.slice([0..n, 0..1]).reshape([n]).into_data();
        let values = outputs
            .convert::<f32>()
            .to_vec::<f32>()
            .map_err(|e| format!("cannot read the predictions: {e:?}"))?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err("the model's outputs are not finite".into());
        }
        out.extend(values);
        Ok(())
    })
}

/// The errors of `predictions` against `data`'s values, where it has them (the domain named
/// `"values"`).
pub fn errors(data: &SampleDataset, predictions: &[f32]) -> Option<RegressionResult> {
    let (predicted, expected): (Vec<f64>, Vec<f64>) = data
        .labels()
        .iter()
        .zip(predictions)
        .filter_map(|(label, &p)| label.value().map(|v| (f64::from(p), f64::from(v))))
        .unzip();
    (!predicted.is_empty()).then(|| RegressionResult::measure("values", &predicted, &expected))
}

/// Writes a regression's `predictions.csv`: `item,value`, one row per item in order (`item`
/// as [`write_predictions`] writes it).
///
/// # Errors
///
/// The file cannot be written.
pub fn write_values(path: &Path, data: &SampleDataset, values: &[f32]) -> Result<(), Failure> {
    let mut text = String::from("item,value\n");
    for (i, value) in values.iter().enumerate() {
        let item = match data.name(i) {
            Some(name) => name.display().to_string(),
            None => i.to_string(),
        };
        let _ = writeln!(text, "{},{value}", field(&item));
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftkit::data::Label;

    #[test]
    fn errors_are_measured_against_the_values() {
        let labels = vec![Label::Value(1.0), Label::Value(3.0)];
        let data = SampleDataset::from_values(vec![0.0, 0.0], vec![1], labels, None).unwrap();
        let errors = errors(&data, &[2.0, 3.0]).unwrap();
        assert_eq!((errors.mae, errors.r2), (0.5, 0.5));
        assert!((errors.rmse - 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn fields_are_quoted_where_needed() {
        assert_eq!(field("a.png"), "a.png");
        assert_eq!(field("a,b.png"), "\"a,b.png\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
