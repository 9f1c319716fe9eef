//! Which backends compute in host memory.

use burn::tensor::Device;
use burn::tensor::backend::Backend;

/// Whether a backend keeps its tensors in host memory (flex, ndarray): there, one loop over a
/// slice beats a chain of tensor operations, taking the data out of a tensor costs nothing, and
/// a second thread is a second core at work. The one answer of the workspace is
/// [`shiftkit_nn::host_backend`].
pub(crate) fn host_backend<B: Backend>(device: &Device<B>) -> bool {
    shiftkit_nn::host_backend::<B>(device)
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, Flex, NdArray};

    use super::host_backend;

    #[test]
    fn the_cpu_backends_are_host_backends() {
        assert!(host_backend::<Flex>(&Default::default()));
        assert!(host_backend::<NdArray>(&Default::default()));
    }

    #[test]
    fn the_autodiff_decorator_keeps_its_inner_backends_memory() {
        assert!(host_backend::<Autodiff<Flex>>(&Default::default()));
    }
}
