use burn::module::{AutodiffModule, Module, ModuleDisplay};
use burn::tensor::Tensor;
use burn::tensor::backend::{AutodiffBackend, Backend};
use shiftkit_nn::{DomainDiscriminator, Encoder};

/// What the optimiser trains: the user's encoder and the domain discriminator, side by side,
/// so that one Adam with one learning rate updates both (as in ShiftKit).
#[derive(Module, Debug)]
pub struct DannModel<B: Backend, M> {
    /// The encoder and classifier being adapted.
    pub encoder: M,
    /// The domain discriminator behind the gradient reversal.
    pub discriminator: DomainDiscriminator<B>,
}

/// What [`DannTrainer`](crate::DannTrainer) needs of a model with inputs of rank `D`: an
/// [`Encoder`] that trains on the autodiff backend `B` and evaluates on its inner backend (its
/// [`AutodiffModule::InnerModule`]). Implemented for every such type; a user's encoder gets it
/// by implementing [`Encoder`] for any backend and deriving Burn's `Module`.
pub trait TrainableEncoder<B: AutodiffBackend, const D: usize>:
    Encoder<B, Input = Tensor<B, D>>
    + AutodiffModule<
        B,
        InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
    > + ModuleDisplay
{
}

impl<T, B: AutodiffBackend, const D: usize> TrainableEncoder<B, D> for T where
    T: Encoder<B, Input = Tensor<B, D>>
        + AutodiffModule<
            B,
            InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>>
                             + ModuleDisplay,
        > + ModuleDisplay
{
}
