//! Which backends compute in host memory.

use burn::tensor::Device;
use burn::tensor::backend::Backend;

/// Whether a backend keeps its tensors in host memory (flex, ndarray). There, one loop over a
/// slice beats a chain of tensor operations, taking the data out of a tensor costs nothing, and
/// a second thread is a second core at work. A GPU runs one queue of work, so neither pays
/// there. Asked of the inner backend: an autodiff backend names itself after its decorator.
pub(crate) fn host_backend<B: Backend>(device: &Device<B>) -> bool {
    matches!(B::name(device).as_str(), "flex" | "ndarray")
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
    fn the_autodiff_decorator_is_not_mistaken_for_its_inner_backend() {
        // The trainer asks the inner backend; this pins that the decorator has its own name.
        assert!(!host_backend::<Autodiff<Flex>>(&Default::default()));
    }
}
