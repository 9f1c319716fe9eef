use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// A batch of one domain: inputs and their class labels.
///
/// For a target domain the labels are used only to track accuracy; training never reads them.
///
/// # Shapes
///
/// - `inputs`: `[N, ...]`, rank `D` (`[N, features]` for flat data, `[N, 1, 28, 28]` for digits)
/// - `labels`: `[N]`, class indices
#[derive(Clone, Debug)]
pub struct DomainBatch<B: Backend, const D: usize> {
    /// The inputs, batch first.
    pub inputs: Tensor<B, D>,
    /// One class index per input.
    pub labels: Tensor<B, 1, Int>,
}

impl<B: Backend, const D: usize> DomainBatch<B, D> {
    /// The number of examples in the batch.
    pub fn len(&self) -> usize {
        self.labels.dims()[0]
    }

    /// Whether the batch holds no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
