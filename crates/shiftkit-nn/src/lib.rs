//! Networks for domain adaptation on [Burn](https://burn.dev): the encoder trait, the domain
//! discriminator, and ShiftKit's reference encoders.
//!
//! # What is here
//!
//! - [`Encoder`]: what a trainer needs from a network. `encode` gives the features
//!   `z = encode(x)` on which the domains are aligned, `classify` the class logits from `z`,
//!   `latent_dim` the width of `z` and `num_classes` the width of the logits.
//! - [`DomainDiscriminator`], built from a [`DomainDiscriminatorConfig`]: the domain classifier
//!   of DANN, one logit per row of `z`.
//! - Reference encoders, each built from its config:
//!   - [`MlpEncoder`] ([`MlpEncoderConfig`]): flat inputs, `784 -> 512 -> 256 -> 128`.
//!   - [`CnnEncoder`] ([`CnnEncoderConfig`]): 1x28x28 images, two conv-BN-ReLU-pool blocks.
//!   - [`ShallowEncoder`] ([`ShallowEncoderConfig`]): the DANN paper's two-moons network.
//! - [`MaskDropout`]: the networks' dropout, with masks drawn where they are cheap
//!   ([`DropoutMasks`]).
//! - [`NnError`]: why a configuration was refused.
//! - [`kernels`]: [`LoweringBackend`](kernels::LoweringBackend), the backend extension behind
//!   the CNN's fast CPU path (im2col, and batch norm + ReLU + max pooling fused, as autodiff
//!   ops with their own backward), and the worker thread of a step's two passes. Implemented
//!   for the backends this crate's features name (`ndarray`, `flex`, `cuda`, `wgpu`) and for
//!   `Autodiff` over them; [`ConvAlgorithm`] chooses between it and Burn's own layers.
//! - [`host_backend`]: whether a backend computes in host memory, the one question behind the
//!   `Auto` defaults of [`ConvAlgorithm`] and [`DropoutMasks`].
//!
//! # Why a trait, and why these networks
//!
//! Users bring their own networks. A trainer should not care whether the input is a flat
//! vector or an image, nor how the features are computed: it needs the split between features
//! and head (DANN attaches the discriminator in between) and two sizes to check shapes before
//! the first step. [`Encoder`] asks for exactly that, with the input type left associated, so
//! any Burn module can join by implementing four methods.
//!
//! The reference encoders and the discriminator's defaults reproduce the networks of the
//! Python ShiftKit library layer for layer (PyTorch and Burn draw default weights from the same
//! distributions for linear and convolutional layers), so results can be compared with it. The
//! discriminator's options cover what the DANN paper and Transfer-Learning-Library use instead.
//!
//! # Configurations are checked, and weights depend only on the seed
//!
//! Each `XConfig::init(&self, device)` returns `Result<X<B>, NnError>`: a zero size, a dropout
//! probability outside `[0, 1)` or an image too small for the pooling is refused with a typed
//! error instead of a panic deep inside Burn. `init` also draws every weight at once (Burn
//! would otherwise draw them lazily on first use), so `B::seed(&device, seed)` followed by
//! `init` always builds the same network, whatever runs afterwards.
//!
//! # Training and evaluation
//!
//! Modes follow Burn's convention, with no flag to forget. On an autodiff backend
//! (`Autodiff<B>`) dropout is active and batch norm uses batch statistics (updating its running
//! statistics); the module's `valid()` counterpart on the inner backend is the evaluation-mode
//! network: no dropout, batch norm with running statistics.
//!
//! # Example
//!
//! With the feature `ndarray` (the reference MLP and CNN run on the backends whose features are
//! on; the facade `shiftkit` turns on flex and ndarray):
//!
//! ```
//! use burn::backend::{Autodiff, NdArray};
//! use burn::tensor::Tensor;
//! use burn::tensor::backend::Backend;
//! use shiftkit_nn::{DomainDiscriminatorConfig, Encoder, MlpEncoderConfig};
//!
//! type B = Autodiff<NdArray>;
//! let device = Default::default();
//! B::seed(&device, 0);
//! let encoder = MlpEncoderConfig::new().init::<B>(&device)?;
//! let discriminator = DomainDiscriminatorConfig::new(encoder.latent_dim()).init::<B>(&device)?;
//!
//! let x = Tensor::<B, 2>::zeros([4, 784], &device);
//! let z = encoder.encode(x);
//! assert_eq!(encoder.classify(z.clone()).dims(), [4, 10]);
//! assert_eq!(discriminator.forward(z).dims(), [4]);
//! # Ok::<(), shiftkit_nn::NnError>(())
//! ```

mod cnn;
mod discriminator;
mod dropout;
mod encoder;
mod error;
mod host_memory;
mod init;
mod lowering;
mod mlp;
mod parallel;
pub mod records;
pub mod resnet;
mod shallow;

pub use cnn::{CnnEncoder, CnnEncoderConfig};
pub use discriminator::{DomainDiscriminator, DomainDiscriminatorConfig};
pub use dropout::{DropoutMasks, MaskDropout, seed_thread_masks};
pub use encoder::Encoder;
pub use error::NnError;
pub use host_memory::host_backend;
pub use lowering::ConvAlgorithm;
pub use mlp::{MlpEncoder, MlpEncoderConfig};
pub use records::{EncoderConfig, RecordError, load_encoder, save_encoder};
pub use resnet::{ResNetConfig, ResNetEncoder};
pub use shallow::{ShallowEncoder, ShallowEncoderConfig};

pub mod kernels {
    //! How the reference networks run on a backend, for those who extend them: the lowered
    //! convolution block as a backend extension ([`LoweringBackend`]: implement it, or take its
    //! default methods, to run [`ConvAlgorithm::Im2col`](crate::ConvAlgorithm) on another
    //! backend) with the state its ops keep, and the worker thread that runs a step's source
    //! and target passes at once ([`join`]).
    pub use crate::lowering::{BatchNormPoolState, ConvState, LoweringBackend};
    pub use crate::parallel::join;
}
