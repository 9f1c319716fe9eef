//! # shiftkit: domain adaptation for Burn
//!
//! A model trained on a labelled *source* domain often fails on a shifted, unlabelled *target*
//! domain (other writers, other scanners, other hospitals). shiftkit trains models that carry
//! over, with adversarial domain adaptation (DANN, Ganin et al., JMLR 2016; CDAN, Long et al.,
//! NeurIPS 2018), class-level centroid alignment (MSTN, Xie et al., ICML 2018) and feature
//! statistics matching (MMD as in DAN, Long et al., ICML 2015; CORAL, Sun & Saenko, 2016), and
//! minimum class confusion of the target predictions (MCC, Jin et al., ECCV 2020), on the
//! [Burn](https://burn.dev) framework.
//!
//! This crate is the facade: it re-exports the layered crates under short module names, so one
//! dependency gives the whole toolkit, and each layer stays usable on its own.
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`grl`] | `shiftkit-grl` | the gradient reversal op and layer |
//! | [`nn`] | `shiftkit-nn` | the encoder trait, the domain discriminator, reference encoders |
//! | [`align`] | `shiftkit-align` | alignment losses: MSTN centroids, MMD, CORAL, CDAN's maps, MCC |
//! | [`data`] | `shiftkit-data` | two moons, MNIST, optdigits, and readers of users' data, as Burn datasets |
//! | [`train`] | `shiftkit-train` | the DANN training loop, schedule, history, evaluation, the collapse guard |
//! | [`validate`] | `shiftkit-validate` | label-free validators, proxy A-distance, 2-D PCA |
//! | [`peers`] | `shiftkit-peers` | data-parallel runs: peers on threads, processes and machines |
//! | [`select`] | `shiftkit-select` | the label-free choice of a method, weight and epoch |
//! | [`store`] | `shiftkit-store` | crash-safe checkpoint directories |
//! | [`kernels`] | `shiftkit-kernels` | the CPU kernels: products, lowered and Winograd convolutions, Adam |
//! | [`methods`] | all | the methods: presets, trainer, adaptation terms and their building blocks |
//! | [`prelude`] | all | what a training program names first, for a glob import |
//! | [`backend`], [`device`] | this crate | backend aliases, device choice, and running a job on the chosen backend |
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use burn::data::dataloader::DataLoaderBuilder;
//! use shiftkit::backend::{Cpu, CpuInner};
//! use shiftkit::data::{DigitsPair, FlatDigitBatcher};
//! use shiftkit::methods::{DannConfig, DannTrainer};
//! use shiftkit::nn::MlpEncoderConfig;
//!
//! let device = Default::default();
//! let pair = DigitsPair::embedded(0).unwrap();
//! let loader = |data, seed| DataLoaderBuilder::new(FlatDigitBatcher).batch_size(64).shuffle(seed).build(data);
//! let model = MlpEncoderConfig::new().init::<Cpu>(&device).unwrap();
//! let mut trainer = DannTrainer::new(
//!     model,
//!     loader(pair.source_train.clone(), 1),
//!     loader(pair.target_train.clone(), 2),
//!     DannConfig::recommended(),
//!     &device,
//! ).unwrap();
//! let history = trainer.fit(10).unwrap();
//! let test = DataLoaderBuilder::<CpuInner, _, _>::new(FlatDigitBatcher).batch_size(256).build(pair.target_test.clone());
//! let result = trainer.evaluate(test.as_ref(), "target-test").unwrap();
//! ```
//!
//! # Features
//!
//! - `flex` (default): the flex CPU backend, [`backend::Cpu`], the default by measurement.
//! - `ndarray` (default): the ndarray CPU backend, with SIMD and multi-threading.
//! - `embedded` (default): the digits compiled into `shiftkit-data` ([`data::DigitsPair::embedded`],
//!   the robustness suite). The trainer crate alone does not carry them.
//! - `cuda`: the CUDA backend (NVIDIA GPUs).
//! - `wgpu`: the wgpu backend (GPUs through Vulkan, Metal or DirectX 12), `backend::Wgpu`;
//!   [`device::wgpu_adapter`] says which adapter it runs on.
//! - `collective`: data-parallel training on Burn's collective engine, over threads of one
//!   process or over several processes and machines (`train::peers`).

pub mod grl {
    //! Gradient reversal: see [`shiftkit_grl`].
    pub use shiftkit_grl::*;
}

pub mod nn {
    //! Encoders and the domain discriminator: see [`shiftkit_nn`].
    pub use shiftkit_nn::*;
}

pub mod align {
    //! Alignment losses (MSTN centroids, MMD, CORAL, CDAN's maps, MCC): see [`shiftkit_align`].
    pub use shiftkit_align::*;
}

pub mod data {
    //! Domain pairs as Burn datasets: see [`shiftkit_data`].
    pub use shiftkit_data::*;
}

pub mod train {
    //! What a run reports and how it runs: history, errors, the collapse guard, checkpoints,
    //! schedules, device reads, evaluation (see [`shiftkit_train`]). The trainer, its
    //! configuration and the presets are in [`methods`](crate::methods).
    pub use shiftkit_train::{
        Alarm, BatchShapes, CheckpointError, Checkpoints, CollapsePolicy, DannModel, DeviceReads,
        DomainLoader, EpochRecord, EvalResult, GAMMA, LrSchedule, Pairing, READ_EVERY,
        RegressionLoss, RegressionResult, SHIFTKIT_TERMS, ScheduleGranularity, Silent, StepReport,
        Task, TrainError, TrainObserver, TrainableEncoder, UnknownMethod, alarms, checkpoint,
        evaluate, evaluate_values, reads, scheduled_alpha, scheduled_lr,
    };
}

pub mod validate {
    //! Label-free validators and pictures of the feature space: see [`shiftkit_validate`].
    pub use shiftkit_validate::*;
}

pub mod peers {
    //! Data-parallel training's peers and the operations between them: see
    //! [`shiftkit_peers`].
    pub use shiftkit_peers::*;
}

pub mod select {
    //! Choosing a method, a weight and an epoch without target labels: see
    //! [`shiftkit_select`].
    pub use shiftkit_select::*;
}

pub mod store {
    //! Crash-safe checkpoint directories: see [`shiftkit_store`].
    pub use shiftkit_store::*;
}

pub mod kernels {
    //! The CPU kernels under the networks and the optimiser: see [`shiftkit_kernels`].
    pub use shiftkit_kernels::*;
}

pub mod methods {
    //! The methods, under the names of their papers: the presets ([`Method`]), the trainer that
    //! runs them, the adaptation terms a run adds to the classifier's loss, and their building
    //! blocks (the reversal, the discriminator, the alignment losses). The types a run reports
    //! with (history, errors, checkpoints) live in [`train`](crate::train).
    pub use shiftkit_align::{
        CentroidAligner, CentroidAlignerConfig, MmdConfig, MmdEstimator, RandomizedMap,
        class_confusion, conditional_domain_loss, coral, entropy_weights, mmd2, multilinear_map,
        reversed_entropy_weights, weighted_domain_loss,
    };
    pub use shiftkit_grl::{GradientReversalConfig, GradientReversalLayer, reverse_gradient};
    pub use shiftkit_nn::{DomainDiscriminator, DomainDiscriminatorConfig};
    pub use shiftkit_train::terms::{
        AdaptationTerm, CentroidAlignment, CentroidAlignmentConfig, ClassConfusion,
        ClassConfusionConfig, ConditionalAdversarial, ConditionalAdversarialConfig,
        CovarianceAlignment, CovarianceAlignmentConfig, DomainAdversarial, DomainAdversarialConfig,
        MeanDiscrepancy, MeanDiscrepancyConfig, TermConfig, TermContext, TermInputs, TermOutput,
    };
    pub use shiftkit_train::{DannConfig, DannTrainer, Method};
}

pub mod prelude {
    //! What a training program names first, for `use shiftkit::prelude::*;`: the backends, the
    //! encoder trait and the reference encoders, the trainer with its configuration, presets,
    //! checkpoints, collapse policy, observer and results.
    pub use crate::backend::TrainingBackend;
    #[cfg(feature = "flex")]
    pub use crate::backend::{Cpu, CpuInner};
    pub use shiftkit_data::DomainBatch;
    pub use shiftkit_nn::{CnnEncoderConfig, Encoder, MlpEncoderConfig, ResNetConfig};
    pub use shiftkit_train::{
        Checkpoints, CollapsePolicy, DannConfig, DannTrainer, EpochRecord, EvalResult, Method,
        TrainError, TrainObserver,
    };
}

pub mod backend;
pub mod device;
