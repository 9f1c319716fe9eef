//! The trainer's side of the device reads ([`crate::reads`]): the window of steps applied
//! before they are read, what is kept to roll back to, and the reads themselves.

use burn::module::{AutodiffModule, ModuleDisplay};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_data::DomainBatch;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_optim::Adam;

use super::DannTrainer;
use super::step::Launched;
use crate::error::TrainError;
use crate::metrics::{EpochSums, StepAt};
use crate::model::{DannModel, TrainableEncoder};
use crate::observer::TrainObserver;
use crate::reads::READ_EVERY;

/// The steps applied since the last read, and the trainer as it was before them.
pub(super) struct Window<B, M>
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
    pub(super) fn push(&mut self, step: Launched<B>) {
        self.steps.push(step);
    }

    /// Whether the window holds [`READ_EVERY`] steps.
    fn is_full(&self) -> bool {
        self.steps.len() >= READ_EVERY
    }
}

/// How an epoch's steps are being read: in an open window, or each step before it is applied.
pub(super) enum Reading<B, M>
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
    pub(super) fn start_reading(&mut self) -> Reading<B, M> {
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
    pub(super) fn read_step(
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
    pub(super) fn finish_reading(
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
