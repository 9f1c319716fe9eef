//! The reversal-strength schedule of Ganin et al., as pure functions of progress.

use serde::{Deserialize, Serialize};

/// The steepness of the DANN ramp: `gamma = 10` in the paper and every major library.
pub const GAMMA: f64 = 10.0;

/// The reversal strength at training progress `p`:
///
/// ```text
/// alpha_p = alpha * (2 / (1 + exp(-gamma p)) - 1)
/// ```
///
/// It rises from 0 at `p = 0` towards `alpha` (0.9866 `alpha` at `p = 0.5`, 0.9999 `alpha` at
/// `p = 1`, with `gamma = 10`),
/// so the discriminator's noisy early signal barely reaches the encoder. `p` is clamped to
/// `[0, 1]`.
pub fn scheduled_alpha(alpha: f64, gamma: f64, p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    alpha * (2.0 / (1.0 + (-gamma * p).exp()) - 1.0)
}

/// How often the schedule moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ScheduleGranularity {
    /// `p = step / adaptation steps`, updated every optimiser step, starting at alpha 0: the
    /// DANN paper's and the major libraries' choice.
    #[default]
    Step,
    /// `p = epoch / adaptation epochs` (1-based), held for a whole epoch: ShiftKit's behaviour,
    /// which already applies a large alpha in the first adaptation epoch.
    Epoch,
}

/// How source and target batches are paired within an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Pairing {
    /// An epoch covers the longer loader; the shorter one starts over (reshuffled, when its
    /// loader shuffles) whenever it runs out. Every source and target example is used every
    /// epoch, and the number of adaptation steps does not collapse when one domain is small.
    #[default]
    Cycle,
    /// An epoch stops when the shorter loader runs out (ShiftKit's `zip`). With a small target
    /// set this gives few steps per epoch: on MNIST -> optdigits, 19 steps instead of 157.
    Shortest,
}

/// The learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LrSchedule {
    /// The same learning rate throughout (ShiftKit's behaviour).
    #[default]
    Constant,
    /// The DANN paper's annealing, `lr_p = lr / (1 + 10 p)^0.75`, with `p` the progress over
    /// all planned steps.
    Anneal,
}

/// The learning rate at progress `p` (clamped to `[0, 1]`).
pub fn scheduled_lr(lr: f64, schedule: LrSchedule, p: f64) -> f64 {
    match schedule {
        LrSchedule::Constant => lr,
        LrSchedule::Anneal => lr / (1.0 + 10.0 * p.clamp(0.0, 1.0)).powf(0.75),
    }
}
