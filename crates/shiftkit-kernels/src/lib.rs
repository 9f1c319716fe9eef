//! The CPU kernels under shiftkit's networks and optimiser: plain loops and matrix products on
//! host slices, no tensors and no Burn.
//!
//! - [`product`]: matrix products through the `gemm` crate, written straight into the
//!   caller's buffer; the one module of the workspace with `unsafe` code.
//! - [`lowered`]: a 3x3 convolution (padding 1) as im2col and one product, its backward pass,
//!   and batch norm, ReLU and 2x2 max pooling fused, forward and backward, on channel-major
//!   activations ([`planes::Planes`]).
//! - [`winograd`]: the same convolution by Winograd's F(2x2, 3x3), for wider layers.
//! - [`adam`]: Adam's update with decoupled weight decay in one pass.
//!
//! Each loop runs compiled for the widest vector instructions the processor has
//! ([`planes::wide`]); every sum's order is written out, so the values do not depend on the
//! width. The matrix products are gemm's, whose order of summation does: AVX2 and AVX-512
//! processors give results that differ in the last bits, and the tests compare against f64
//! references with tolerances derived from f32's rounding (`scripts/check.sh` runs them with
//! AVX2 forced too, on a processor that has AVX-512).
//!
//! `shiftkit-nn` runs its reference CNN's lowered blocks and `shiftkit-train` its optimiser on
//! these kernels; they are public for those crates and for benchmarks, not a stable API.

pub mod adam;
pub mod lowered;
pub mod planes;
pub mod product;
pub mod winograd;
