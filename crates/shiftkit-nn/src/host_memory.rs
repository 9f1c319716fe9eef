//! Which backends compute in host memory, and so which kernels fit them.

use burn::tensor::backend::Backend;

/// Whether backend `B` keeps its tensors in host memory: flex and ndarray, and `Autodiff` over
/// either of them.
///
/// This is the one question behind every kernel choice of the workspace. On a host-memory
/// backend, one loop over a slice beats a chain of tensor operations, taking the data out of a
/// tensor costs nothing, and a second thread is a second core at work: there the
/// [`Auto`](crate::ConvAlgorithm::Auto) convolution resolves to
/// [`Im2col`](crate::ConvAlgorithm::Im2col) and [`Auto`](crate::DropoutMasks::Auto) dropout
/// masks to [`Host`](crate::DropoutMasks::Host). A GPU runs one queue of work on memory of its
/// own, so its own kernels are the choice there (the `Backend` variants).
///
/// The answer comes from the backend's name ([`Backend::name`]), the only thing Burn says
/// about where a backend keeps its data; a backend this function does not know is treated as
/// a device backend.
///
/// ```
/// use burn::backend::{Autodiff, NdArray};
/// use shiftkit_nn::host_backend;
///
/// assert!(host_backend::<NdArray>(&Default::default()));
/// assert!(host_backend::<Autodiff<NdArray>>(&Default::default()));
/// ```
pub fn host_backend<B: Backend>(device: &B::Device) -> bool {
    let name = B::name(device);
    // `Autodiff<X>` names itself `autodiff<x>`: the memory is the inner backend's.
    let inner = name
        .strip_prefix("autodiff<")
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or(&name);
    matches!(inner, "flex" | "ndarray")
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, Flex, NdArray};

    use super::host_backend;
    use crate::{ConvAlgorithm, DropoutMasks};

    #[test]
    fn flex_and_its_autodiff_are_host_backends() {
        assert!(host_backend::<Flex>(&Default::default()));
        assert!(host_backend::<Autodiff<Flex>>(&Default::default()));
    }

    #[test]
    fn ndarray_and_its_autodiff_are_host_backends() {
        assert!(host_backend::<NdArray>(&Default::default()));
        assert!(host_backend::<Autodiff<NdArray>>(&Default::default()));
    }

    #[test]
    fn auto_resolves_to_the_host_kernels_on_the_cpu_backends() {
        let device = Default::default();
        assert_eq!(
            ConvAlgorithm::Auto.resolve::<Autodiff<Flex>>(&device),
            ConvAlgorithm::Im2col
        );
        assert_eq!(
            DropoutMasks::Auto.resolve::<Flex>(&device),
            DropoutMasks::Host
        );
        let device = Default::default();
        assert_eq!(
            ConvAlgorithm::Auto.resolve::<NdArray>(&device),
            ConvAlgorithm::Im2col
        );
        assert_eq!(
            DropoutMasks::Auto.resolve::<Autodiff<NdArray>>(&device),
            DropoutMasks::Host
        );
        // A concrete choice is kept whatever the backend.
        assert_eq!(
            ConvAlgorithm::Backend.resolve::<Flex>(&Default::default()),
            ConvAlgorithm::Backend
        );
        assert_eq!(
            DropoutMasks::Backend.resolve::<Flex>(&Default::default()),
            DropoutMasks::Backend
        );
    }
}
