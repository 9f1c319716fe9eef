use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Draws every parameter of `module` now, in declaration order, and returns the module.
///
/// Burn initialises parameters lazily, on their first use. The random draws would then happen
/// whenever each layer is first touched, interleaved with dropout masks and with other modules'
/// initialisations, so the weights would depend on what ran in between. Drawing them all inside
/// `init` makes them a function of the backend's seed and the configuration alone:
/// `B::seed(&device, s)` followed by `init` always gives the same network.
pub(crate) fn materialize<B: Backend, M: Module<B>>(module: M) -> M {
    module.visit(&mut Materialize);
    module
}

/// A visitor that forces the lazy initialisation of each float parameter it meets.
struct Materialize;

impl<B: Backend> ModuleVisitor<B> for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        // `val` runs the deferred initialiser once and caches the tensor; the returned handle
        // shares its storage, so dropping it costs nothing.
        drop(param.val());
    }
}
