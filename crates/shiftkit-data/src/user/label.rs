//! Labels: a class, a value or none, and what a set of them describes.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// The label of one [`Sample`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Label {
    /// A class index, `0..num_classes`.
    Class(u32),
    /// A real value, the target of a regression.
    Value(f32),
    /// No label: unlabelled (target) data.
    None,
}

impl Label {
    /// The class index, if the label is a class.
    pub fn class(self) -> Option<u32> {
        match self {
            Self::Class(class) => Some(class),
            _ => None,
        }
    }

    /// The value, if the label is a value.
    pub fn value(self) -> Option<f32> {
        match self {
            Self::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Whether both labels are of the same kind (class, value, none).
    fn same_kind(self, other: Self) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }
}

/// One item of users' data: the item of a [`SampleDataset`](crate::SampleDataset).
///
/// `x` holds the item's values row-major in the data set's
/// [`shape`](crate::SampleDataset::shape): `[F]` features, or `[C, H, W]` image planes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The values, row-major in the data set's item shape.
    pub x: Vec<f32>,
    /// The label.
    pub label: Label,
}

/// What a data set's labels describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelKind {
    /// Classification: every label is a [`Label::Class`] below `num_classes`.
    Classes {
        /// The number of classes (the class names' count when they are known, else the
        /// largest class plus one).
        num_classes: usize,
    },
    /// Regression: every label is a [`Label::Value`].
    Values,
    /// No labels: every label is [`Label::None`].
    Unlabelled,
}

impl fmt::Display for LabelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Classes { num_classes } => write!(f, "classification into {num_classes}"),
            Self::Values => f.write_str("regression"),
            Self::Unlabelled => f.write_str("unlabelled"),
        }
    }
}

/// How a reader, or [`SampleDataset::into_task`](crate::SampleDataset::into_task), reads labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelMode {
    /// As the data says: integers are classes, other numbers values, text classes (see each
    /// reader).
    #[default]
    Auto,
    /// Classes, whatever the labels look like.
    Classes,
    /// Real values (regression targets).
    Values,
}

/// The labels of a data set with what they describe.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LabelSet {
    /// One label per item.
    pub(crate) labels: Vec<Label>,
    /// What the labels describe.
    pub(crate) task: LabelKind,
    /// The names of the classes `0..num_classes`, when known.
    pub(crate) class_names: Option<Vec<String>>,
}

impl LabelSet {
    /// Class labels; `num_classes` is the names' count when given, else the largest class
    /// plus one. The caller guarantees that every class is below the names' count.
    pub(crate) fn classes(classes: Vec<u32>, class_names: Option<Vec<String>>) -> Self {
        let num_classes = match &class_names {
            Some(names) => names.len(),
            None => classes.iter().max().map_or(0, |&max| max as usize + 1),
        };
        Self {
            labels: classes.into_iter().map(Label::Class).collect(),
            task: LabelKind::Classes { num_classes },
            class_names,
        }
    }

    /// Value labels.
    pub(crate) fn values(values: Vec<f32>) -> Self {
        Self {
            labels: values.into_iter().map(Label::Value).collect(),
            task: LabelKind::Values,
            class_names: None,
        }
    }

    /// `n` missing labels.
    pub(crate) fn unlabelled(n: usize) -> Self {
        Self {
            labels: vec![Label::None; n],
            task: LabelKind::Unlabelled,
            class_names: None,
        }
    }

    /// Checks labels of any origin: one kind throughout, classes below the names' count.
    pub(super) fn checked(
        labels: Vec<Label>,
        class_names: Option<Vec<String>>,
    ) -> Result<Self, DataError> {
        let first = labels.first().copied().unwrap_or(Label::None);
        if let Some(index) = labels.iter().position(|label| !label.same_kind(first)) {
            return Err(DataError::MixedLabels { index });
        }
        let task = match first {
            Label::Class(_) => {
                let max = labels.iter().filter_map(|label| label.class()).max();
                let num_classes = match &class_names {
                    Some(names) => {
                        if let Some((index, class)) = labels
                            .iter()
                            .filter_map(|label| label.class())
                            .enumerate()
                            .find(|&(_, class)| class as usize >= names.len())
                        {
                            return Err(DataError::ClassWithoutName {
                                index,
                                class,
                                names: names.len(),
                            });
                        }
                        names.len()
                    }
                    None => max.map_or(0, |max| max as usize + 1),
                };
                LabelKind::Classes { num_classes }
            }
            Label::Value(_) => LabelKind::Values,
            Label::None => LabelKind::Unlabelled,
        };
        if let Some(index) = labels
            .iter()
            .position(|label| label.value().is_some_and(|v| !v.is_finite()))
        {
            return Err(DataError::NonFiniteLabel { index });
        }
        let class_names = match task {
            LabelKind::Values => None,
            _ => class_names,
        };
        Ok(Self {
            labels,
            task,
            class_names,
        })
    }

    /// The labels at `indices`, in that order (the caller checks the indices).
    pub(crate) fn subset(&self, indices: &[usize]) -> Self {
        Self {
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            task: self.task,
            class_names: self.class_names.clone(),
        }
    }

    /// Renumbers the classes by `names` (see [`SampleDataset::remap_classes`](crate::SampleDataset::remap_classes)).
    pub(super) fn remap(&mut self, names: &[String]) -> Result<(), DataError> {
        let known = || names.join(", ");
        let Some(old_names) = &self.class_names else {
            if self.task == LabelKind::Unlabelled {
                self.class_names = Some(names.to_vec());
                return Ok(());
            }
            return Err(DataError::NoClassNames {
                task: self.task.to_string(),
            });
        };
        let index: HashMap<&str, u32> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i as u32))
            .collect();
        let mut mapping = Vec::with_capacity(old_names.len());
        for name in old_names {
            match index.get(name.as_str()) {
                Some(&new) => mapping.push(new),
                None => {
                    return Err(DataError::UnknownClass {
                        name: name.clone(),
                        known: known(),
                    });
                }
            }
        }
        for label in &mut self.labels {
            if let Label::Class(class) = label {
                *class = mapping[*class as usize];
            }
        }
        if let LabelKind::Classes { num_classes } = &mut self.task {
            *num_classes = names.len();
        }
        self.class_names = Some(names.to_vec());
        Ok(())
    }

    /// Reads the labels as `mode` says (see [`SampleDataset::into_task`](crate::SampleDataset::into_task)).
    pub(super) fn into_task(mut self, mode: LabelMode) -> Result<Self, DataError> {
        match (mode, self.task) {
            (LabelMode::Classes, LabelKind::Values) => {
                let mut classes = Vec::with_capacity(self.labels.len());
                for (index, label) in self.labels.iter().enumerate() {
                    let value = label.value().unwrap_or(f32::NAN);
                    if !(value >= 0.0 && value.fract() == 0.0 && value <= u32::MAX as f32) {
                        return Err(DataError::NotAClass { index, value });
                    }
                    classes.push(value as u32);
                }
                Ok(Self::classes(classes, None))
            }
            (LabelMode::Values, LabelKind::Classes { .. }) => {
                for label in &mut self.labels {
                    if let Label::Class(class) = *label {
                        *label = Label::Value(class as f32);
                    }
                }
                self.task = LabelKind::Values;
                self.class_names = None;
                Ok(self)
            }
            _ => Ok(self),
        }
    }
}
