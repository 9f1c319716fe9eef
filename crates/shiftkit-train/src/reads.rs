//! How often the training loop reads the device, and what a read that finds a non-finite loss
//! does.
//!
//! A step leaves its numbers (losses, accuracy counts, the domain accuracy) on the device, and
//! [`fit`](crate::DannTrainer::fit) reads the numbers of [`READ_EVERY`] steps at once: on a GPU
//! a read waits for every queued kernel, so a read per step would keep the device idle while
//! the host catches up. An epoch's end always reads, so an epoch's record and the collapse
//! guard see every step; [`DannTrainer::host_reads`](crate::DannTrainer::host_reads) counts
//! the reads.
//!
//! A loss is therefore known to be finite only after the steps that followed it were applied.
//! Before the steps of a window run, the trainer keeps what they change: the model and the
//! discriminator, the optimiser's state, the step counts, and every term's state (terms are
//! told to [`settle`](crate::terms::AdaptationTerm::settle)). Keeping costs no copy: Burn's
//! tensors are shared handles, and an update writes new ones (on a CPU backend, the first
//! update of a window copies the parameters it would otherwise update in place). When the
//! window's read finds a non-finite loss, the trainer goes back to what it kept, the terms
//! [`roll back`](crate::terms::AdaptationTerm::roll_back), and `fit` returns
//! [`crate::TrainError::NonFiniteLoss`] with the epoch and step of
//! the first non-finite loss: the weights left behind are those of the window's start, at most
//! `READ_EVERY - 1` good steps before it, and finite. Steps of the window are reported to the
//! observer only once read and good.
//!
//! [`train_step`](crate::DannTrainer::train_step), the building block of custom loops, reads
//! its step before applying it: there a non-finite loss leaves the trainer exactly as it was.

use burn::module::{AutodiffModule, ModuleDisplay};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_nn::Encoder;

use crate::metrics::EpochSums;
use crate::observer::TrainObserver;
use crate::optim::Adam;
use crate::step::Launched;
use crate::{DannModel, DannTrainer, TrainError};

/// The steps [`fit`](crate::DannTrainer::fit) takes between two reads of the device (an
/// epoch's end also reads). 32 keeps a GPU's queue full (one wait per 32 steps) while a
/// non-finite loss costs at most 31 good steps; on a CPU backend a read costs next to nothing
/// either way, and one value keeps the trainer behaving alike on every backend.
pub const READ_EVERY: usize = 32;

/// The steps applied since the last read, and the trainer as it was before them.
pub(crate) struct Window<B, M>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: ModuleDisplay,
{
    model: Option<DannModel<B, M>>,
    optimizer: OptimizerAdaptor<Adam, DannModel<B, M>, B>,
    steps_done: usize,
    adaptation_steps_done: usize,
    steps: Vec<Launched<B>>,
}

impl<B, M> Window<B, M>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: ModuleDisplay,
{
    /// Adds a step applied in this window.
    pub(crate) fn push(&mut self, step: Launched<B>) {
        self.steps.push(step);
    }

    /// Whether the window holds [`READ_EVERY`] steps.
    pub(crate) fn is_full(&self) -> bool {
        self.steps.len() >= READ_EVERY
    }
}

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: Encoder<B, Input = Tensor<B, D>> + AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: Encoder<B::InnerBackend, Input = Tensor<B::InnerBackend, D>> + ModuleDisplay,
{
    /// Opens a read window: keeps what its steps will change.
    pub(crate) fn open_window(&mut self) -> Window<B, M> {
        self.terms.iter_mut().for_each(|term| term.settle());
        Window {
            model: self.model.clone(),
            optimizer: self.optimizer.clone(),
            steps_done: self.steps_done,
            adaptation_steps_done: self.adaptation_steps_done,
            steps: Vec::with_capacity(READ_EVERY),
        }
    }

    /// Reads the window's steps (one read of the device), checks their losses, adds them to
    /// the epoch's `sums` and reports them to `observer`. Returns the reversal strength of the
    /// last step, if the window had any.
    ///
    /// # Errors
    ///
    /// [`TrainError::NonFiniteLoss`] for the first non-finite loss; the trainer is then back
    /// where the window found it. [`TrainError::Collective`] when the sum over the peers
    /// failed.
    pub(crate) fn close_window(
        &mut self,
        window: Window<B, M>,
        sums: &mut EpochSums,
        observer: &mut dyn TrainObserver,
    ) -> Result<Option<f64>, TrainError> {
        if window.steps.is_empty() {
            return Ok(None);
        }
        let numbers = self.read_steps(&window.steps)?;
        if let Some(error) = numbers.iter().find_map(|n| self.check_finite(n).err()) {
            self.model = window.model;
            self.optimizer = window.optimizer;
            self.steps_done = window.steps_done;
            self.adaptation_steps_done = window.adaptation_steps_done;
            self.terms.iter_mut().for_each(|term| term.roll_back());
            return Err(error);
        }
        for step in &numbers {
            sums.add(step);
            observer.on_step(&self.report(step));
        }
        Ok(numbers.last().map(|step| step.reversal))
    }
}
