//! The experiment programs of shiftkit, `digits` (MNIST -> optdigits, the README's main job),
//! `moons` (the DANN paper's two-moons toy task), `suite` (the robustness suite: every method
//! on harder domain pairs) and `adapt` (domain adaptation on users' own files: image folders,
//! CSV tables, NumPy arrays), and what they share: one training run written once for every
//! backend, progress bars, the results table, JSON outputs and PNG plots.
//!
//! ```text
//! cargo run --release -p shiftkit-lab --bin digits
//! cargo run --release -p shiftkit-lab --bin moons
//! ```
//!
//! This crate is not published: it is the project's lab, built on the ecosystem's crates (clap
//! for arguments, plotters for plots, indicatif for progress). What a user of shiftkit writes
//! looks like the crate's `examples/` instead.

pub mod adapt;
pub mod cli;
pub mod experiment;
pub mod latent;
pub mod plot;
pub mod progress;
pub mod report;
pub mod selection;
pub mod stats;

/// Training allocates and frees the same large buffers every step; an allocator that keeps
/// them (instead of handing them back to the kernel and faulting them in again) saves about
/// 15% of a step (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
