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

use burn::module::{AutodiffModule, ModuleDisplay};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};
use shiftkit_grl::GradientReversalBackend;

use shiftkit_data::DomainBatch;

use crate::metrics::EpochSums;
use crate::observer::TrainObserver;
use crate::optim::Adam;
use crate::step::{Launched, StepAt};
use crate::{DannModel, DannTrainer, TrainError, TrainableEncoder};

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
    /// them: [`Peers::across_nodes`](crate::peers::Peers::across_nodes)),
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
    fn is_full(&self) -> bool {
        self.steps.len() >= READ_EVERY
    }
}

/// How an epoch's steps are being read: in an open window, or each step before it is applied.
pub(crate) enum Reading<B, M>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ModuleDisplay,
    M::InnerModule: ModuleDisplay,
{
    /// Boxed: a window holds a whole model and optimiser state.
    Window(Box<Window<B, M>>),
    EveryStep,
}

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// Starts reading an epoch's steps as the configuration asks on this backend.
    pub(crate) fn start_reading(&mut self) -> Reading<B, M> {
        let cheap = self.host && !self.peers.across_nodes();
        if self.config.device_reads.windowed(cheap) {
            Reading::Window(Box::new(self.open_window()))
        } else {
            Reading::EveryStep
        }
    }

    /// One step of `fit`, read as `reading` says: numbers read are added to `sums` and
    /// reported to `observer`. Returns how to read the next step, and the reversal strength of
    /// the last step read, if any.
    ///
    /// # Errors
    ///
    /// As [`close_window`](Self::close_window) and [`checked_step`](Self::checked_step): the
    /// trainer is left where the window found it, or as it was before this step.
    pub(crate) fn read_step(
        &mut self,
        reading: Reading<B, M>,
        (source, target, at): (DomainBatch<B, D>, DomainBatch<B, D>, &StepAt),
        sums: &mut EpochSums,
        observer: &mut dyn TrainObserver,
    ) -> Result<(Reading<B, M>, Option<f64>), TrainError> {
        let Reading::Window(mut window) = reading else {
            let numbers = self.checked_step(source, target, at)?;
            sums.add(&numbers);
            observer.on_step(&self.report(&numbers));
            return Ok((Reading::EveryStep, Some(numbers.reversal)));
        };
        match self.launch(source, target, at) {
            Ok(launched) => window.push(launched),
            Err(error) => {
                // The steps before this one are read first: a non-finite loss among them is
                // the error to report, and rolls the trainer back.
                self.close_window(*window, sums, observer)?;
                return Err(error);
            }
        }
        if !window.is_full() {
            return Ok((Reading::Window(window), None));
        }
        let reversal = self.close_window(*window, sums, observer)?;
        Ok((Reading::Window(Box::new(self.open_window())), reversal))
    }

    /// Reads what `reading` has not read yet (an epoch's end). Returns the reversal strength of
    /// the last step read, if any.
    ///
    /// # Errors
    ///
    /// As [`close_window`](Self::close_window).
    pub(crate) fn finish_reading(
        &mut self,
        reading: Reading<B, M>,
        sums: &mut EpochSums,
        observer: &mut dyn TrainObserver,
    ) -> Result<Option<f64>, TrainError> {
        match reading {
            Reading::Window(window) => self.close_window(*window, sums, observer),
            Reading::EveryStep => Ok(None),
        }
    }

    /// Opens a read window: keeps what its steps will change.
    fn open_window(&mut self) -> Window<B, M> {
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
    fn close_window(
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
