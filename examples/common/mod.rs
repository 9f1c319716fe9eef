//! Code shared by the example programs: command line, runs, reports, plots, progress.

pub mod cli;
pub mod experiment;
pub mod plot;
pub mod png;
pub mod progress;
pub mod report;

/// Training allocates and frees the same large buffers every step; an allocator that keeps
/// them (instead of handing them back to the kernel and faulting them in again) saves about
/// 15% of a step (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
