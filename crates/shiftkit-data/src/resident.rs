//! A loader whose data lives on the device: uploaded once, batched by gathering rows there.

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder, DataLoaderIterator, Progress};
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

use crate::batch::DomainBatch;

/// A data loader that uploads its whole dataset to the device once, then makes each batch on
/// the device by gathering rows ([`Tensor::select`]): a step costs the upload of its batch's
/// row numbers, not the building of a batch on the host and the copy of its values. Use it
/// when the dataset fits in the device's memory beside the model; a loader built with Burn's
/// `DataLoaderBuilder` (which builds each batch on the host) streams data that does not.
///
/// Batches come in the order Burn's `DataLoaderBuilder` gives them for the same batch size and
/// shuffle seed, and hold the same values: the rows are numbered by a Burn batch loader over
/// the positions, shuffled with the same generator. Swapping one loader for the other leaves a
/// run unchanged, and a run resumed from a checkpoint draws the same batches either way.
///
/// # Shapes
///
/// What the batcher makes, with `N` the batch's length: `inputs` `[N, ...]`, `labels` `[N]`.
pub struct ResidentLoader<B: Backend, const D: usize> {
    data: DomainBatch<B, D>,
    positions: Arc<dyn DataLoader<B, Vec<usize>>>,
}

impl<B: Backend, const D: usize> ResidentLoader<B, D> {
    /// Batches `dataset` with `batcher` (all of it at once, on `device`) into batches of
    /// `batch_size`, reshuffled at every pass with a generator seeded by `shuffle` when given.
    pub fn new<I, Bt>(
        dataset: &impl Dataset<I>,
        batcher: &Bt,
        batch_size: usize,
        shuffle: Option<u64>,
        device: &B::Device,
    ) -> Self
    where
        I: Send + Sync + Clone + 'static,
        Bt: Batcher<B, I, DomainBatch<B, D>>,
    {
        let items: Vec<I> = dataset.iter().collect();
        let rows = items.len();
        let data = batcher.batch(items, device);
        let builder = DataLoaderBuilder::new(Positions)
            .batch_size(batch_size)
            .set_device(device.clone());
        let builder = match shuffle {
            Some(seed) => builder.shuffle(seed),
            None => builder,
        };
        Self {
            data,
            positions: builder.build(Rows(rows)),
        }
    }

    /// [`new`](Self::new) when the dataset's inputs take at most `max_bytes` on the device
    /// (measured on a batch of its first example); `None` for a larger or an empty dataset,
    /// which a streaming loader (Burn's `DataLoaderBuilder`) serves instead.
    pub fn within<I, Bt>(
        max_bytes: usize,
        dataset: &impl Dataset<I>,
        batcher: &Bt,
        batch_size: usize,
        shuffle: Option<u64>,
        device: &B::Device,
    ) -> Option<Self>
    where
        I: Send + Sync + Clone + 'static,
        Bt: Batcher<B, I, DomainBatch<B, D>>,
    {
        let one = batcher.batch(vec![dataset.get(0)?], device);
        let example = one.inputs.shape().num_elements() * one.inputs.dtype().size();
        (example.saturating_mul(dataset.len()) <= max_bytes)
            .then(|| Self::new(dataset, batcher, batch_size, shuffle, device))
    }

    /// Examples in the dataset.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the dataset is empty.
    pub fn is_empty(&self) -> bool {
        self.data.len() == 0
    }
}

impl<B: Backend, const D: usize> DataLoader<B, DomainBatch<B, D>> for ResidentLoader<B, D> {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<DomainBatch<B, D>> + 'a> {
        Box::new(Gather {
            data: &self.data,
            positions: self.positions.iter(),
        })
    }

    fn num_items(&self) -> usize {
        self.positions.num_items()
    }

    fn to_device(&self, device: &B::Device) -> Arc<dyn DataLoader<B, DomainBatch<B, D>>> {
        Arc::new(Self {
            data: DomainBatch {
                inputs: self.data.inputs.clone().to_device(device),
                labels: self.data.labels.clone().to_device(device),
                values: self.data.values.clone().map(|v| v.to_device(device)),
            },
            positions: self.positions.to_device(device),
        })
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<B, DomainBatch<B, D>>> {
        // The positions loader's slice yields positions `start..end` of the whole data.
        Arc::new(Self {
            data: self.data.clone(),
            positions: self.positions.slice(start, end),
        })
    }
}

/// One pass of a [`ResidentLoader`]: the next batch of row numbers, gathered on the device.
struct Gather<'a, B: Backend, const D: usize> {
    data: &'a DomainBatch<B, D>,
    positions: Box<dyn DataLoaderIterator<Vec<usize>> + 'a>,
}

impl<B: Backend, const D: usize> Iterator for Gather<'_, B, D> {
    type Item = DomainBatch<B, D>;

    fn next(&mut self) -> Option<Self::Item> {
        let rows = self.positions.next()?;
        let n = rows.len();
        let device = self.data.labels.device();
        let rows: Vec<i64> = rows.into_iter().map(|row| row as i64).collect();
        let rows = Tensor::<B, 1, Int>::from_data(TensorData::new(rows, [n]), &device);
        Some(DomainBatch {
            inputs: self.data.inputs.clone().select(0, rows.clone()),
            labels: self.data.labels.clone().select(0, rows.clone()),
            values: self.data.values.clone().map(|v| v.select(0, rows)),
        })
    }
}

impl<B: Backend, const D: usize> DataLoaderIterator<DomainBatch<B, D>> for Gather<'_, B, D> {
    fn progress(&self) -> Progress {
        self.positions.progress()
    }
}

/// The positions `0..n` of a dataset, as a dataset: what a Burn loader shuffles and batches for
/// a [`ResidentLoader`].
#[derive(Debug, Clone, Copy)]
struct Rows(usize);

impl Dataset<usize> for Rows {
    fn get(&self, index: usize) -> Option<usize> {
        (index < self.0).then_some(index)
    }

    fn len(&self) -> usize {
        self.0
    }
}

/// Batches positions as they come.
#[derive(Debug, Clone, Copy)]
struct Positions;

impl<B: Backend> Batcher<B, usize, Vec<usize>> for Positions {
    fn batch(&self, items: Vec<usize>, _device: &B::Device) -> Vec<usize> {
        items
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::data::dataloader::{DataLoader, DataLoaderBuilder};

    use super::ResidentLoader;
    use crate::{DomainBatch, PointBatcher, PointDataset};

    type B = NdArray<f32>;

    fn points(n: usize) -> PointDataset {
        let points = (0..n).map(|i| [i as f32, -(i as f32) / 2.0]).collect();
        let labels = (0..n).map(|i| (i % 3) as u8).collect();
        PointDataset::new(points, labels).unwrap()
    }

    fn contents(batch: DomainBatch<B, 2>) -> (Vec<f32>, Vec<i64>) {
        (
            batch.inputs.into_data().convert::<f32>().to_vec().unwrap(),
            batch.labels.into_data().convert::<i64>().to_vec().unwrap(),
        )
    }

    #[test]
    fn batches_equal_burns_loaders_pass_after_pass() {
        let device = Default::default();
        for shuffle in [None, Some(7)] {
            let mut streaming = DataLoaderBuilder::new(PointBatcher).batch_size(16);
            if let Some(seed) = shuffle {
                streaming = streaming.shuffle(seed);
            }
            let streaming = streaming.build(points(70));
            let resident =
                ResidentLoader::<B, 2>::new(&points(70), &PointBatcher, 16, shuffle, &device);
            assert_eq!(resident.num_items(), 70);
            // Three passes: the shuffles of later passes agree too.
            for _ in 0..3 {
                let a: Vec<_> = streaming.iter().map(contents).collect();
                let b: Vec<_> = resident.iter().map(contents).collect();
                assert_eq!(a.len(), 5);
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn within_a_budget_only() {
        let device = Default::default();
        // 30 points of two f32s: 240 bytes.
        let fits =
            ResidentLoader::<B, 2>::within(240, &points(30), &PointBatcher, 8, None, &device);
        assert_eq!(fits.map(|l| l.len()), Some(30));
        let over =
            ResidentLoader::<B, 2>::within(239, &points(30), &PointBatcher, 8, None, &device);
        assert!(over.is_none());
        let empty =
            ResidentLoader::<B, 2>::within(1 << 20, &points(0), &PointBatcher, 8, None, &device);
        assert!(empty.is_none());
    }

    #[test]
    fn a_slice_yields_its_rows_only() {
        let device = Default::default();
        let resident = ResidentLoader::<B, 2>::new(&points(40), &PointBatcher, 8, None, &device);
        let rows: Vec<f32> = resident
            .slice(10, 20)
            .iter()
            .flat_map(|batch| contents(batch).0)
            .step_by(2)
            .collect();
        assert_eq!(rows, (10..20).map(|i| i as f32).collect::<Vec<_>>());
    }
}
