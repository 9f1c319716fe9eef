//! What the run gives a term's configuration when the trainer builds the term.

use burn::tensor::backend::AutodiffBackend;

/// What a term's configuration takes from the run when the trainer builds the term.
#[derive(Debug)]
pub struct TermContext<'a, B: AutodiffBackend> {
    /// The final reversal strength of the adversarial terms.
    pub alpha: f64,
    /// The reversal's ramp steepness, `None` when alpha is held constant.
    pub reversal_ramp: Option<f64>,
    /// The steepness of the schedules' sigmoid (MSTN's weight ramp uses it).
    pub gamma: f64,
    /// The run's seed (CDAN's random map is drawn from it).
    pub seed: u64,
    /// The encoder's feature width.
    pub latent_dim: usize,
    /// The number of classes.
    pub num_classes: usize,
    /// Where the term's tensors live.
    pub device: &'a B::Device,
}
