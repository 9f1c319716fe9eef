//! The optimisers shiftkit trains with, as Burn optimisers, and the split backward pass that
//! gives them a step's gradients.
//!
//! - [`Adam`]: Adam as PyTorch computes it, with AdamW's decoupled weight decay; on a backend
//!   whose tensors live in host memory (flex, ndarray) the update is one fused pass per
//!   parameter ([`shiftkit_kernels::adam`]), elsewhere (CUDA, wgpu) tensor operations;
//! - [`SplitGraphs`]: a step's backward pass with its source and target encoder graphs
//!   differentiated on two threads.

mod adam;
mod split;

pub use adam::{Adam, AdamState};
pub use split::SplitGraphs;
