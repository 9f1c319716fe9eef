//! The optimisers shiftkit trains with, as Burn optimisers.
//!
//! - [`Adam`]: Adam as PyTorch computes it, with AdamW's decoupled weight decay; on a backend
//!   whose tensors live in host memory (flex, ndarray) the update is one fused pass per
//!   parameter ([`shiftkit_kernels::adam`]), elsewhere (CUDA, wgpu) tensor operations.

mod adam;

pub use adam::{Adam, AdamState};
