use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor};

/// The explicit state of a [`CentroidAligner`](crate::CentroidAligner): the moving-average
/// target centroids and which classes have been seen in a pseudo-labelled target batch.
///
/// Both tensors live on the aligner's device and carry no autodiff graph: a step reads them
/// and builds a new state, so nothing is kept alive across steps and no host read is needed.
/// Rows of classes never seen are zeros and are never used.
#[derive(Debug, Clone)]
pub struct CentroidState<B: Backend> {
    pub(crate) centroids: Tensor<B, 2>,
    pub(crate) seen: Tensor<B, 1, Bool>,
}

impl<B: Backend> CentroidState<B> {
    /// All classes unseen, centroids zero.
    pub(crate) fn unseen(num_classes: usize, latent_dim: usize, device: &B::Device) -> Self {
        Self {
            centroids: Tensor::zeros([num_classes, latent_dim], device),
            seen: Tensor::<B, 1, Bool>::full([num_classes], false, device),
        }
    }

    /// The target centroids.
    ///
    /// # Shapes
    ///
    /// `[num_classes, latent_dim]`
    pub fn centroids(&self) -> &Tensor<B, 2> {
        &self.centroids
    }

    /// Which classes have been seen in the target domain.
    ///
    /// # Shapes
    ///
    /// `[num_classes]`
    pub fn seen(&self) -> &Tensor<B, 1, Bool> {
        &self.seen
    }
}
