//! Gradient reversal for [Burn](https://burn.dev): the heart of adversarial domain adaptation.
//!
//! The Gradient Reversal Layer (GRL) of Ganin et al. ("Domain-Adversarial Training of Neural
//! Networks", JMLR 2016) is the identity in the forward pass and multiplies the incoming
//! gradient by `-alpha` in the backward pass. Placed between a feature encoder and a domain
//! discriminator, it lets one backward pass train the discriminator to tell the domains apart
//! while pushing the encoder towards features the discriminator cannot separate.
//!
//! # What is here
//!
//! - [`reverse_gradient`]: the functional op, for any tensor rank.
//! - [`GradientReversalLayer`], built from a [`GradientReversalConfig`]: the same op as a Burn
//!   module whose `alpha` the training loop may change between steps.
//! - [`GradientReversalBackend`]: the backend extension that carries the op.
//!
//! # Why a custom autodiff operation
//!
//! The usual trick, `x.detach() * (1 + alpha) - x * alpha` or similar, costs two or three
//! element-wise passes in the forward and gives a forward that is only equal to `x` up to
//! rounding. Here the op is a real [`Backward`](burn::backend::autodiff::ops::Backward) step
//! registered on Burn's [`Autodiff`](burn::backend::Autodiff) backend: the forward hands back
//! the input primitive itself (no copy, no arithmetic, bit-identical), and the backward does a
//! single scaling pass, `grad * -alpha`. When the input is not tracked, no step is recorded at
//! all.
//!
//! On a backend without autodiff (inference), the op is the identity. Such backends opt in
//! through [`GradientReversalBackend`]; this crate implements it for `NdArray` (feature
//! `ndarray`), `Flex` (feature `flex`), `Cuda` (feature `cuda`) and `Wgpu` (feature `wgpu`), and
//! for `Autodiff<B>` over any backend `B`.
//!
//! # Names
//!
//! `alpha` is the strength of the reversal (Ganin et al. call it lambda). It must be finite;
//! anything else is a [`GrlError`].

mod backend;
mod error;
mod layer;
mod op;

pub use backend::GradientReversalBackend;
pub use error::GrlError;
pub use layer::{GradientReversalConfig, GradientReversalLayer};
pub use op::reverse_gradient;
