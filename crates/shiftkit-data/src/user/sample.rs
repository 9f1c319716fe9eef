use std::path::Path;

use burn::data::dataset::Dataset;

use super::batcher::SampleBatcher;
use super::images::ImageFolder;
use super::label::{Label, LabelKind, LabelMode, LabelSet, Sample};
use crate::error::DataError;

/// Users' data as a Burn [`Dataset`] of [`Sample`]s: arrays and tables held in memory, or an
/// [`ImageFolder`] decoded on demand.
///
/// In memory, the values live in one flat buffer (`len * item_len` values, item after item)
/// and [`get`](Dataset::get) copies one item out. An image folder holds only its files' paths
/// and labels; see [`ImageFolder`] for decoding, its memory bound and its failures.
///
/// Every item has the same [`shape`](Self::shape); the [`task`](Self::task) says what the
/// labels are.
#[derive(Clone, Debug)]
pub struct SampleDataset {
    storage: Storage,
}

/// Where the items come from.
#[derive(Clone, Debug)]
enum Storage {
    /// Values in one flat buffer.
    Memory {
        /// `len * item_len` values.
        values: Vec<f32>,
        /// The shape of one item.
        shape: Vec<usize>,
        /// The product of `shape`.
        item_len: usize,
        /// The labels.
        labels: LabelSet,
    },
    /// Image files.
    Images(ImageFolder),
}

impl SampleDataset {
    /// A data set held in memory: `values` holds the items one after another, each
    /// row-major in `shape`, and `labels` one label per item, all of one kind.
    ///
    /// For class labels, `class_names` (when given) names the classes `0..names.len()`;
    /// otherwise the number of classes is the largest class plus one. Names are ignored for
    /// value labels.
    ///
    /// # Errors
    ///
    /// - [`DataError::EmptyShape`] when `shape` has no axis or an axis of length 0;
    /// - [`DataError::ValueCount`] when `values.len() != labels.len() * shape.product()`;
    /// - [`DataError::MixedLabels`] when the labels are not all of one kind;
    /// - [`DataError::ClassWithoutName`] when a class is not below the names' count;
    /// - [`DataError::NonFiniteLabel`] when a value label is not finite.
    pub fn from_values(
        values: Vec<f32>,
        shape: Vec<usize>,
        labels: Vec<Label>,
        class_names: Option<Vec<String>>,
    ) -> Result<Self, DataError> {
        let labels = LabelSet::checked(labels, class_names)?;
        Self::memory(values, shape, labels)
    }

    /// A data set in memory from checked labels.
    pub(crate) fn memory(
        values: Vec<f32>,
        shape: Vec<usize>,
        labels: LabelSet,
    ) -> Result<Self, DataError> {
        if shape.is_empty() || shape.contains(&0) {
            return Err(DataError::EmptyShape(shape));
        }
        let item_len: usize = shape.iter().product();
        let expected = labels.labels.len().saturating_mul(item_len);
        if values.len() != expected {
            return Err(DataError::ValueCount {
                item_len,
                expected,
                found: values.len(),
            });
        }
        Ok(Self {
            storage: Storage::Memory {
                values,
                shape,
                item_len,
                labels,
            },
        })
    }

    fn label_set(&self) -> &LabelSet {
        match &self.storage {
            Storage::Memory { labels, .. } => labels,
            Storage::Images(folder) => folder.label_set(),
        }
    }

    fn label_set_mut(&mut self) -> &mut LabelSet {
        match &mut self.storage {
            Storage::Memory { labels, .. } => labels,
            Storage::Images(folder) => folder.label_set_mut(),
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.label_set().labels.len()
    }

    /// Whether the set holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of one item: `[F]` for features, `[C, H, W]` for images.
    pub fn shape(&self) -> &[usize] {
        match &self.storage {
            Storage::Memory { shape, .. } => shape,
            Storage::Images(folder) => folder.shape(),
        }
    }

    /// The values per item (the product of the shape).
    pub fn item_len(&self) -> usize {
        self.shape().iter().product()
    }

    /// What the labels describe.
    pub fn task(&self) -> LabelKind {
        self.label_set().task
    }

    /// The number of classes, for a classification.
    pub fn num_classes(&self) -> Option<usize> {
        match self.task() {
            LabelKind::Classes { num_classes } => Some(num_classes),
            _ => None,
        }
    }

    /// The names of the classes `0..num_classes`, when known: the class folders' names, or a
    /// table's distinct labels in sorted order. Arrays and list files carry class indices
    /// only.
    pub fn class_names(&self) -> Option<&[String]> {
        self.label_set().class_names.as_deref()
    }

    /// All labels, in order.
    pub fn labels(&self) -> &[Label] {
        &self.label_set().labels
    }

    /// The label of item `index`, or `None` past the end (read without decoding anything).
    pub fn label(&self, index: usize) -> Option<Label> {
        self.labels().get(index).copied()
    }

    /// The name of item `index`: its file for an image, `None` for an item in memory (whose
    /// name is its index) or past the end.
    pub fn name(&self, index: usize) -> Option<&Path> {
        match &self.storage {
            Storage::Memory { .. } => None,
            Storage::Images(folder) => folder.path(index),
        }
    }

    /// The values of all items, for a data set held in memory (`len * item_len` values).
    pub fn values(&self) -> Option<&[f32]> {
        match &self.storage {
            Storage::Memory { values, .. } => Some(values),
            Storage::Images(_) => None,
        }
    }

    /// The image folder behind the data set, if it is one.
    pub fn image_folder(&self) -> Option<&ImageFolder> {
        match &self.storage {
            Storage::Images(folder) => Some(folder),
            Storage::Memory { .. } => None,
        }
    }

    /// Checks that every item can be read: for an image folder, [`ImageFolder::check`] (every
    /// file's header); for data in memory, nothing to do.
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] naming the first unreadable image.
    pub fn check(&self) -> Result<(), DataError> {
        match &self.storage {
            Storage::Memory { .. } => Ok(()),
            Storage::Images(folder) => folder.check(),
        }
    }

    /// A batcher for this data set's item shape.
    pub fn batcher(&self) -> SampleBatcher {
        SampleBatcher::new(self.shape())
    }

    /// Renumbers the classes by `names` (typically the source's
    /// [`class_names`](Self::class_names)): class `k` becomes the position of its name in
    /// `names`, and the data set then has `names.len()` classes. An unlabelled data set only
    /// takes the names.
    ///
    /// # Errors
    ///
    /// - [`DataError::UnknownClass`] when one of this data set's class names is not in
    ///   `names`;
    /// - [`DataError::NoClassNames`] when the data set has value labels, or classes without
    ///   names (arrays, list files).
    pub fn remap_classes(mut self, names: &[String]) -> Result<Self, DataError> {
        self.label_set_mut().remap(names)?;
        Ok(self)
    }

    /// The same items with their labels read as `mode` says: [`LabelMode::Classes`] turns
    /// value labels into classes (each must be a non-negative integer; the number of classes
    /// is then the largest plus one, without names), [`LabelMode::Values`] turns classes into
    /// their indices as values (dropping the names), and [`LabelMode::Auto`] or an
    /// unlabelled data set changes nothing.
    ///
    /// # Errors
    ///
    /// [`DataError::NotAClass`] for a value that is not a class index.
    pub fn into_task(mut self, mode: LabelMode) -> Result<Self, DataError> {
        let labels = std::mem::replace(self.label_set_mut(), LabelSet::unlabelled(0));
        *self.label_set_mut() = labels.into_task(mode)?;
        Ok(self)
    }

    /// A new data set of the items at `indices`, in that order (repeats allowed), with the
    /// same task and class names.
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] when an index is `>= len`.
    pub fn subset(&self, indices: &[usize]) -> Result<Self, DataError> {
        let len = self.len();
        if let Some(&index) = indices.iter().find(|&&index| index >= len) {
            return Err(DataError::IndexOutOfRange { index, len });
        }
        let storage = match &self.storage {
            Storage::Memory {
                values,
                shape,
                item_len,
                labels,
            } => {
                let mut subset = Vec::with_capacity(indices.len() * item_len);
                for &index in indices {
                    subset.extend_from_slice(&values[index * item_len..(index + 1) * item_len]);
                }
                Storage::Memory {
                    values: subset,
                    shape: shape.clone(),
                    item_len: *item_len,
                    labels: labels.subset(indices),
                }
            }
            Storage::Images(folder) => Storage::Images(folder.subset_unchecked(indices)),
        };
        Ok(Self { storage })
    }
}

impl From<ImageFolder> for SampleDataset {
    fn from(folder: ImageFolder) -> Self {
        Self {
            storage: Storage::Images(folder),
        }
    }
}

impl Dataset<Sample> for SampleDataset {
    fn get(&self, index: usize) -> Option<Sample> {
        match &self.storage {
            Storage::Memory {
                values,
                item_len,
                labels,
                ..
            } => {
                let label = *labels.labels.get(index)?;
                let start = index * item_len;
                Some(Sample {
                    x: values[start..start + item_len].to_vec(),
                    label,
                })
            }
            Storage::Images(folder) => folder.get(index),
        }
    }

    fn len(&self) -> usize {
        SampleDataset::len(self)
    }
}

#[cfg(test)]
mod tests {
    use burn::data::dataset::Dataset;

    use super::{Label, LabelKind, SampleDataset};
    use crate::DataError;

    #[test]
    fn data_in_memory_is_checked_and_served() {
        let data = SampleDataset::from_values(
            (0..6).map(|v| v as f32).collect(),
            vec![1, 3],
            vec![Label::Class(1), Label::Class(0)],
            Some(vec!["a".into(), "b".into(), "c".into()]),
        )
        .unwrap();
        assert_eq!(data.task(), LabelKind::Classes { num_classes: 3 });
        assert_eq!(data.item_len(), 3);
        assert_eq!(data.get(1).unwrap().x, [3.0, 4.0, 5.0]);
        assert_eq!(data.values().unwrap().len(), 6);
        assert!(data.get(2).is_none());
        assert!(data.image_folder().is_none());
        let err = SampleDataset::from_values(vec![0.0; 5], vec![3], vec![Label::None; 2], None)
            .unwrap_err();
        assert!(matches!(
            err,
            DataError::ValueCount {
                item_len: 3,
                expected: 6,
                found: 5
            }
        ));
        let err = SampleDataset::from_values(vec![], vec![0], vec![], None).unwrap_err();
        assert!(matches!(err, DataError::EmptyShape(_)), "{err}");
        let err = SampleDataset::from_values(
            vec![0.0; 2],
            vec![1],
            vec![Label::Class(0), Label::None],
            None,
        )
        .unwrap_err();
        assert!(matches!(err, DataError::MixedLabels { index: 1 }), "{err}");
        let err = SampleDataset::from_values(
            vec![0.0; 1],
            vec![1],
            vec![Label::Class(2)],
            Some(vec!["a".into(), "b".into()]),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                DataError::ClassWithoutName {
                    class: 2,
                    names: 2,
                    ..
                }
            ),
            "{err}"
        );
        let err =
            SampleDataset::from_values(vec![0.0; 1], vec![1], vec![Label::Value(f32::NAN)], None)
                .unwrap_err();
        assert!(
            matches!(err, DataError::NonFiniteLabel { index: 0 }),
            "{err}"
        );
        let values =
            SampleDataset::from_values(vec![0.0; 1], vec![1], vec![Label::Value(1.0)], None)
                .unwrap();
        let err = values.remap_classes(&["a".into()]).unwrap_err();
        assert!(matches!(err, DataError::NoClassNames { .. }), "{err}");
    }
}
