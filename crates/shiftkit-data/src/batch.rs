use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// A batch of one domain: inputs and their labels, class indices or, for a regression, values.
///
/// For a target domain the labels are used only to track accuracy; training never reads them.
///
/// # Shapes
///
/// - `inputs`: `[N, ...]`, rank `D` (`[N, features]` for flat data, `[N, 1, 28, 28]` for digits)
/// - `labels`: `[N]`, class indices (0 where the data has values instead)
/// - `values`: `[N]`, the numbers a regression predicts, when the data has them
#[derive(Clone, Debug)]
pub struct DomainBatch<B: Backend, const D: usize> {
    /// The inputs, batch first.
    pub inputs: Tensor<B, D>,
    /// One class index per input.
    pub labels: Tensor<B, 1, Int>,
    /// One value per input, for a regression; `None` for classes.
    pub values: Option<Tensor<B, 1>>,
}

impl<B: Backend, const D: usize> DomainBatch<B, D> {
    /// A batch of inputs and class labels (no values).
    pub fn new(inputs: Tensor<B, D>, labels: Tensor<B, 1, Int>) -> Self {
        Self {
            inputs,
            labels,
            values: None,
        }
    }

    /// The batch with regression values.
    #[must_use]
    pub fn with_values(mut self, values: Tensor<B, 1>) -> Self {
        self.values = Some(values);
        self
    }

    /// The number of examples in the batch.
    pub fn len(&self) -> usize {
        self.labels.dims()[0]
    }

    /// Whether the batch holds no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
