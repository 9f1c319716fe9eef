use burn::data::dataset::Dataset;

use crate::error::DataError;
use crate::items::PointItem;

/// Points in the plane with their labels, as a Burn [`Dataset`] of [`PointItem`]s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointDataset {
    points: Vec<[f32; 2]>,
    labels: Vec<u8>,
}

impl PointDataset {
    /// A data set of `points[i]` labelled `labels[i]`.
    ///
    /// # Errors
    ///
    /// [`DataError::LengthMismatch`] when the two lengths differ.
    pub fn new(points: Vec<[f32; 2]>, labels: Vec<u8>) -> Result<Self, DataError> {
        if points.len() != labels.len() {
            return Err(DataError::LengthMismatch {
                inputs: points.len(),
                labels: labels.len(),
            });
        }
        Ok(Self { points, labels })
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no point.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All points, in order.
    pub fn points(&self) -> &[[f32; 2]] {
        &self.points
    }

    /// All labels, in order.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// A new data set of the points at `indices`, in that order (repeats allowed).
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] when an index is `>= len`.
    pub fn subset(&self, indices: &[usize]) -> Result<Self, DataError> {
        let len = self.len();
        let mut points = Vec::with_capacity(indices.len());
        let mut labels = Vec::with_capacity(indices.len());
        for &index in indices {
            if index >= len {
                return Err(DataError::IndexOutOfRange { index, len });
            }
            points.push(self.points[index]);
            labels.push(self.labels[index]);
        }
        Ok(Self { points, labels })
    }
}

impl Dataset<PointItem> for PointDataset {
    fn get(&self, index: usize) -> Option<PointItem> {
        Some(PointItem {
            x: *self.points.get(index)?,
            label: *self.labels.get(index)?,
        })
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}
