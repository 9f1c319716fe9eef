use burn::data::dataloader::batcher::Batcher;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

use crate::batch::DomainBatch;
use crate::items::{DigitItem, IMAGE_PIXELS, IMAGE_SIDE, PointItem};

/// Batches [`DigitItem`]s into images for convolutional encoders.
///
/// Each batch is built from one flat buffer and one [`TensorData`], with no tensor per item.
/// An item whose pixel vector is not 784 long (never one this crate makes) is cut or
/// zero-padded to 784 rather than failing the batch.
///
/// # Shapes
///
/// - `inputs`: `[N, 1, 28, 28]`
/// - `labels`: `[N]`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DigitBatcher;

/// Batches [`DigitItem`]s into flat vectors for MLP encoders.
///
/// The same values as [`DigitBatcher`], row-major, without the image axes; the same handling
/// of items of the wrong length.
///
/// # Shapes
///
/// - `inputs`: `[N, 784]`
/// - `labels`: `[N]`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlatDigitBatcher;

/// Batches [`PointItem`]s.
///
/// # Shapes
///
/// - `inputs`: `[N, 2]`
/// - `labels`: `[N]`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PointBatcher;

impl<B: Backend> Batcher<B, DigitItem, DomainBatch<B, 4>> for DigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &B::Device) -> DomainBatch<B, 4> {
        let n = items.len();
        let pixels = flat_pixels(&items);
        DomainBatch {
            inputs: Tensor::from_data(
                TensorData::new(pixels, [n, 1, IMAGE_SIDE, IMAGE_SIDE]),
                device,
            ),
            labels: labels(items.iter().map(|item| item.label), device),
            values: None,
        }
    }
}

impl<B: Backend> Batcher<B, DigitItem, DomainBatch<B, 2>> for FlatDigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &B::Device) -> DomainBatch<B, 2> {
        let n = items.len();
        let pixels = flat_pixels(&items);
        DomainBatch {
            inputs: Tensor::from_data(TensorData::new(pixels, [n, IMAGE_PIXELS]), device),
            labels: labels(items.iter().map(|item| item.label), device),
            values: None,
        }
    }
}

impl<B: Backend> Batcher<B, PointItem, DomainBatch<B, 2>> for PointBatcher {
    fn batch(&self, items: Vec<PointItem>, device: &B::Device) -> DomainBatch<B, 2> {
        let n = items.len();
        let coordinates: Vec<f32> = items.iter().flat_map(|item| item.x).collect();
        DomainBatch {
            inputs: Tensor::from_data(TensorData::new(coordinates, [n, 2]), device),
            labels: labels(items.iter().map(|item| item.label), device),
            values: None,
        }
    }
}

/// All items' pixels in one buffer of `items.len() * 784` values, each item cut or
/// zero-padded to 784.
fn flat_pixels(items: &[DigitItem]) -> Vec<f32> {
    let mut pixels = vec![0.0; items.len() * IMAGE_PIXELS];
    for (slot, item) in pixels.chunks_exact_mut(IMAGE_PIXELS).zip(items) {
        let len = item.pixels.len().min(IMAGE_PIXELS);
        slot[..len].copy_from_slice(&item.pixels[..len]);
    }
    pixels
}

/// The labels as one integer tensor `[N]`.
fn labels<B: Backend>(
    labels: impl ExactSizeIterator<Item = u8>,
    device: &B::Device,
) -> Tensor<B, 1, Int> {
    let n = labels.len();
    let values: Vec<i64> = labels.map(i64::from).collect();
    Tensor::from_data(TensorData::new(values, [n]), device)
}
