use burn::data::dataset::Dataset;

use crate::error::DataError;
use crate::items::{DigitItem, IMAGE_PIXELS, NUM_CLASSES, first_invalid_label};

/// Digit images in MNIST's geometry with their labels, as a Burn [`Dataset`] of
/// [`DigitItem`]s.
///
/// The pixels live in one flat buffer (`len * 784` values, image after image, each row-major
/// `28x28`), not in one allocation per image; [`get`](Dataset::get) copies one image out.
/// Labels are checked to lie in `0..=9` when the set is built.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DigitDataset {
    pixels: Vec<f32>,
    labels: Vec<u8>,
}

impl DigitDataset {
    /// A data set from a flat pixel buffer (`labels.len() * 784` values) and the labels.
    ///
    /// # Errors
    ///
    /// - [`DataError::PixelCount`] when `pixels.len() != labels.len() * 784`;
    /// - [`DataError::InvalidLabel`] when a label is not in `0..=9`.
    pub fn new(pixels: Vec<f32>, labels: Vec<u8>) -> Result<Self, DataError> {
        let expected = labels.len() * IMAGE_PIXELS;
        if pixels.len() != expected {
            return Err(DataError::PixelCount {
                expected,
                found: pixels.len(),
            });
        }
        if let Some((index, label)) = first_invalid_label(&labels) {
            return Err(DataError::InvalidLabel { index, label });
        }
        Ok(Self { pixels, labels })
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All labels, in order.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All pixels, image after image (`len * 784` values).
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    /// The 784 pixels of image `index`, or `None` past the end.
    pub fn image(&self, index: usize) -> Option<&[f32]> {
        let start = index.checked_mul(IMAGE_PIXELS)?;
        self.pixels.get(start..start.checked_add(IMAGE_PIXELS)?)
    }

    /// How many images each class `0..=9` has.
    pub fn class_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// A new data set of the images at `indices`, in that order (repeats allowed).
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] when an index is `>= len`.
    pub fn subset(&self, indices: &[usize]) -> Result<Self, DataError> {
        let mut pixels = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        for &index in indices {
            let image = self.image(index).ok_or(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            })?;
            pixels.extend_from_slice(image);
            labels.push(self.labels[index]);
        }
        Ok(Self { pixels, labels })
    }

    /// The first `n` images (all of them when `n >= len`).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            pixels: self.pixels[..n * IMAGE_PIXELS].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }
}

impl Dataset<DigitItem> for DigitDataset {
    fn get(&self, index: usize) -> Option<DigitItem> {
        Some(DigitItem {
            pixels: self.image(index)?.to_vec(),
            label: self.labels[index],
        })
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}
