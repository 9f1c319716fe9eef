use burn::module::Module;
use burn::tensor::backend::Backend;
use shiftkit_nn::DomainDiscriminator;

/// What the optimiser trains: the user's encoder and the domain discriminator, side by side,
/// so that one Adam with one learning rate updates both (as in ShiftKit).
#[derive(Module, Debug)]
pub struct DannModel<B: Backend, M> {
    /// The encoder and classifier being adapted.
    pub encoder: M,
    /// The domain discriminator behind the gradient reversal.
    pub discriminator: DomainDiscriminator<B>,
}
