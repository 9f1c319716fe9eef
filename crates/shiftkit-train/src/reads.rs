//! How often the training loop reads the device, and what a read that finds a non-finite loss
//! does.
//!
//! A step's numbers (losses, accuracy counts, the domain accuracy) are computed on the device.
//! On a GPU a read waits for every queued kernel, so a read per step would keep the device idle
//! while the host catches up: there, [`fit`](crate::DannTrainer::fit) reads the numbers of
//! [`READ_EVERY`] steps at once ([`DeviceReads::Windowed`]). On a backend that computes in host
//! memory (flex, ndarray) a read costs nothing, and `fit` reads every step before applying it
//! ([`DeviceReads::EveryStep`]), as [`train_step`](crate::DannTrainer::train_step) always does:
//! a non-finite loss then leaves the trainer exactly as it was, and no earlier state is kept.
//! [`DeviceReads::Auto`], the default, chooses by the backend. An epoch's end always reads, so
//! an epoch's record and the collapse guard see every step;
//! [`DannTrainer::host_reads`](crate::DannTrainer::host_reads) counts the reads.
//!
//! In a window, a loss is known to be finite only after the steps that followed it were
//! applied. Before the steps of a window run, the trainer keeps what they change: the model and
//! the discriminator, the optimiser's state, the step counts, and every term's state (terms are
//! told to [`settle`](crate::terms::AdaptationTerm::settle)). Keeping costs no copy on a GPU:
//! Burn's tensors are shared handles, and an update writes new ones. (On a CPU backend it
//! would: the first update of a window copies the parameters it would otherwise update in
//! place, and the kept state holds a second copy of the model and of Adam's moments: up to 16%
//! more resident memory on the main job; docs/performance.md.) When the window's read finds a
//! non-finite loss, the trainer goes back to what it kept, the terms
//! [`roll back`](crate::terms::AdaptationTerm::roll_back), and `fit` returns
//! [`crate::TrainError::NonFiniteLoss`] with the epoch and step of the first non-finite loss:
//! the weights left behind are those of the window's start, at most `READ_EVERY - 1` good
//! steps before it, and finite. Steps of the window are reported to the observer only once
//! read and good.

use serde::{Deserialize, Serialize};

/// The steps [`fit`](crate::DannTrainer::fit) takes between two reads of the device with
/// [`DeviceReads::Windowed`] (an epoch's end also reads). 32 keeps a GPU's queue full (one wait
/// per 32 steps) while a non-finite loss costs at most 31 good steps.
pub const READ_EVERY: usize = 32;

/// When [`fit`](crate::DannTrainer::fit) reads a step's numbers from the device (see
/// [`reads`](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DeviceReads {
    /// [`Windowed`](Self::Windowed) on a backend whose tensors are not in host memory (CUDA,
    /// wgpu) and in a data-parallel run across processes (where a read is an all-reduce between
    /// them: [`Peers::across_nodes`](shiftkit_peers::Peers::across_nodes)),
    /// [`EveryStep`](Self::EveryStep) otherwise (flex and ndarray).
    #[default]
    Auto,
    /// Every step is read before it is applied: a non-finite loss leaves the trainer as it was.
    EveryStep,
    /// One read per window of [`READ_EVERY`] steps, applied before they are read; a non-finite
    /// loss rolls the trainer back to the window's start.
    Windowed,
}

impl DeviceReads {
    /// Whether steps are read in windows, where a read is `cheap` (host memory, one process)
    /// or is not.
    pub(crate) fn windowed(self, cheap: bool) -> bool {
        match self {
            Self::Auto => !cheap,
            Self::EveryStep => false,
            Self::Windowed => true,
        }
    }
}
