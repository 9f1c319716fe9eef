use burn::data::dataloader::batcher::Batcher;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

use super::label::{Label, Sample};
use crate::batch::DomainBatch;

/// Batches [`Sample`]s into a [`DomainBatch`] of class indices, flat or as images.
///
/// Built for one item shape ([`SampleDataset::batcher`](crate::SampleDataset::batcher) or
/// [`new`](Self::new)); each batch is one flat buffer and one [`TensorData`], with no tensor
/// per item. An item whose `x` is not of the shape's length (never one this crate makes) is
/// cut or zero-padded rather than failing the batch.
///
/// Labels become class indices: a [`Label::Class`] its class, and a [`Label::Value`] or
/// [`Label::None`] **0**, so that unlabelled target data batches like the source (training
/// never reads a target's labels). When any item of a batch has a [`Label::Value`] (a
/// regression's data), the batch's [`values`](DomainBatch::values) hold every item's value
/// (a class its index as a float, [`Label::None`] 0).
///
/// # Shapes
///
/// - `DomainBatch<B, 2>`: `inputs` `[N, item_len]`, every item flattened;
/// - `DomainBatch<B, 4>`: `inputs` `[N, C, H, W]` for an item shape `[C, H, W]`; a shape
///   `[H, W]` gives `[N, 1, H, W]`, a shape `[F]` gives `[N, 1, 1, F]`, and a longer shape
///   folds its leading axes into `C`;
/// - `labels`: `[N]`; `values`: `[N]` or `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleBatcher {
    layout: Layout,
}

/// An item shape as the batchers lay it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    /// Values per item.
    item_len: usize,
    /// `[C, H, W]` for image batches.
    planes: [usize; 3],
}

impl Layout {
    fn new(shape: &[usize]) -> Self {
        let item_len = shape.iter().product();
        let planes = match *shape {
            [] => [1, 1, 1],
            [f] => [1, 1, f],
            [h, w] => [1, h, w],
            [ref leading @ .., h, w] => [leading.iter().product(), h, w],
        };
        Self { item_len, planes }
    }

    /// All items' values in one buffer, each cut or zero-padded to `item_len`.
    fn flat(&self, items: &[Sample]) -> Vec<f32> {
        let mut values = vec![0.0; items.len() * self.item_len];
        if self.item_len == 0 {
            return values;
        }
        for (slot, item) in values.chunks_exact_mut(self.item_len).zip(items) {
            let len = item.x.len().min(self.item_len);
            slot[..len].copy_from_slice(&item.x[..len]);
        }
        values
    }

    fn inputs<B: Backend, const D: usize>(
        &self,
        items: &[Sample],
        device: &B::Device,
    ) -> Tensor<B, D> {
        let n = items.len();
        let values = self.flat(items);
        let data = match D {
            4 => {
                let [c, h, w] = self.planes;
                TensorData::new(values, [n, c, h, w])
            }
            _ => TensorData::new(values, [n, self.item_len]),
        };
        Tensor::from_data(data, device)
    }
}

/// The items' values when any item has one (a regression's data), else `None`.
fn batch_values<B: Backend>(items: &[Sample], device: &B::Device) -> Option<Tensor<B, 1>> {
    items
        .iter()
        .any(|item| matches!(item.label, Label::Value(_)))
        .then(|| value_labels(items, device))
}

impl SampleBatcher {
    /// A batcher for items of `shape` (`[F]`, `[C, H, W]`, ...).
    pub fn new(shape: &[usize]) -> Self {
        Self {
            layout: Layout::new(shape),
        }
    }
}

impl<B: Backend> Batcher<B, Sample, DomainBatch<B, 2>> for SampleBatcher {
    fn batch(&self, items: Vec<Sample>, device: &B::Device) -> DomainBatch<B, 2> {
        DomainBatch {
            inputs: self.layout.inputs(&items, device),
            labels: class_labels(&items, device),
            values: batch_values(&items, device),
        }
    }
}

impl<B: Backend> Batcher<B, Sample, DomainBatch<B, 4>> for SampleBatcher {
    fn batch(&self, items: Vec<Sample>, device: &B::Device) -> DomainBatch<B, 4> {
        DomainBatch {
            inputs: self.layout.inputs(&items, device),
            labels: class_labels(&items, device),
            values: batch_values(&items, device),
        }
    }
}

/// The class indices `[N]`; values and missing labels give 0.
fn class_labels<B: Backend>(items: &[Sample], device: &B::Device) -> Tensor<B, 1, Int> {
    let labels: Vec<i64> = items
        .iter()
        .map(|item| item.label.class().map_or(0, i64::from))
        .collect();
    Tensor::from_data(TensorData::new(labels, [items.len()]), device)
}

/// The target values `[N]`; classes give their index, missing labels 0.
fn value_labels<B: Backend>(items: &[Sample], device: &B::Device) -> Tensor<B, 1> {
    let values: Vec<f32> = items
        .iter()
        .map(|item| match item.label {
            Label::Value(value) => value,
            Label::Class(class) => class as f32,
            Label::None => 0.0,
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [items.len()]), device)
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::data::dataloader::batcher::Batcher;

    use super::SampleBatcher;
    use crate::DomainBatch;
    use crate::user::{Label, Sample};

    type B = NdArray;

    fn samples() -> Vec<Sample> {
        vec![
            Sample {
                x: (0..12).map(|v| v as f32).collect(),
                label: Label::Class(2),
            },
            Sample {
                x: (12..24).map(|v| v as f32).collect(),
                label: Label::None,
            },
            Sample {
                x: (24..36).map(|v| v as f32).collect(),
                label: Label::Value(1.5),
            },
        ]
    }

    #[test]
    fn image_batches_have_nchw_shape_and_class_labels() {
        let batcher = SampleBatcher::new(&[3, 2, 2]);
        let batch: DomainBatch<B, 4> = batcher.batch(samples(), &Default::default());
        assert_eq!(batch.inputs.dims(), [3, 3, 2, 2]);
        let values = batch.inputs.into_data().to_vec::<f32>().unwrap();
        assert_eq!(values, (0..36).map(|v| v as f32).collect::<Vec<_>>());
        let labels = batch.labels.into_data().to_vec::<i64>().unwrap();
        assert_eq!(labels, [2, 0, 0]);
    }

    #[test]
    fn flat_batches_flatten_and_pad_short_items() {
        let mut items = samples();
        items[1].x.truncate(5);
        let batcher = SampleBatcher::new(&[3, 2, 2]);
        let batch: DomainBatch<B, 2> = batcher.batch(items, &Default::default());
        assert_eq!(batch.inputs.dims(), [3, 12]);
        let values = batch.inputs.into_data().to_vec::<f32>().unwrap();
        assert_eq!(&values[12..17], &[12.0, 13.0, 14.0, 15.0, 16.0]);
        assert!(values[17..24].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn feature_shapes_batch_as_single_row_images() {
        let batcher = SampleBatcher::new(&[12]);
        let batch: DomainBatch<B, 4> = batcher.batch(samples(), &Default::default());
        assert_eq!(batch.inputs.dims(), [3, 1, 1, 12]);
        let batcher = SampleBatcher::new(&[3, 4]);
        let batch: DomainBatch<B, 4> = batcher.batch(samples(), &Default::default());
        assert_eq!(batch.inputs.dims(), [3, 1, 3, 4]);
    }

    #[test]
    fn value_batches_carry_float_targets() {
        let batcher = SampleBatcher::new(&[12]);
        let batch: DomainBatch<B, 2> = batcher.batch(samples(), &Default::default());
        assert_eq!(batch.len(), 3);
        let values = batch.values.unwrap().into_data().to_vec::<f32>().unwrap();
        assert_eq!(values, [2.0, 0.0, 1.5]);
        let batch: DomainBatch<B, 4> =
            SampleBatcher::new(&[3, 2, 2]).batch(samples(), &Default::default());
        assert_eq!(batch.inputs.dims(), [3, 3, 2, 2]);
        assert!(batch.values.is_some());
        // Classes alone give no values.
        let classes = samples().into_iter().take(2).collect();
        let batch: DomainBatch<B, 2> = batcher.batch(classes, &Default::default());
        assert!(batch.values.is_none());
    }
}
