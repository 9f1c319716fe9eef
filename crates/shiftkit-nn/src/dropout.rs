//! Dropout with cheap masks.
//!
//! Burn's `Dropout` asks the backend for a Bernoulli tensor, which the CPU backends fill one
//! element at a time through a generic distribution sampler over ChaCha (a large share of an MLP
//! step: docs/performance.md). [`MaskDropout`] draws one seed from the backend's generator per
//! call and expands it on the host with a counter-based SplitMix64 into a mask that already
//! carries the `1 / keep` scale, so the network pays one multiplication, not two.

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use std::cell::Cell;

use crate::error::{NnError, check_dropout};
use crate::host_memory::host_backend;

/// Where [`MaskDropout`] draws its masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DropoutMasks {
    /// Whichever fits the backend: [`Host`](Self::Host) on a host-memory backend (see
    /// [`host_backend`]), [`Backend`](Self::Backend) elsewhere. The configs resolve it when
    /// they build a network.
    #[default]
    Auto,
    /// On the host: one seed from the backend's generator per call, expanded with SplitMix64,
    /// then handed to the backend. Far cheaper on the CPU backends.
    Host,
    /// The backend's own Bernoulli sampler: the choice on a GPU, where the mask is drawn on the
    /// device and nothing crosses the bus.
    Backend,
}

impl DropoutMasks {
    /// The concrete choice for backend `B` on `device`: [`Auto`](Self::Auto) becomes
    /// [`Host`](Self::Host) or [`Backend`](Self::Backend), the others stay as they are.
    pub fn resolve<B: Backend>(self, device: &B::Device) -> Self {
        match self {
            Self::Auto if host_backend::<B>(device) => Self::Host,
            Self::Auto => Self::Backend,
            chosen => chosen,
        }
    }
}

/// Inverted dropout whose masks come from [`DropoutMasks`] (named apart from Burn's `Dropout`,
/// which it replaces in the reference networks): in training, each element is kept with
/// probability `1 - prob` and scaled by `1 / (1 - prob)`; in evaluation (a backend without autodiff) it is the identity.
///
/// Masks are reproducible: both kinds draw from the backend's generator, so
/// `B::seed(&device, seed)` fixes them.
#[derive(Module, Debug, Clone)]
pub struct MaskDropout {
    prob: f64,
    masks: DropoutMasks,
}

impl MaskDropout {
    /// A dropout that zeroes each element with probability `prob`.
    ///
    /// # Errors
    ///
    /// [`NnError::InvalidDropout`] when `prob` is outside `[0, 1)`.
    pub fn new(prob: f64, masks: DropoutMasks) -> Result<Self, NnError> {
        Ok(Self {
            prob: check_dropout(prob)?,
            masks,
        })
    }

    /// Applies dropout when the backend records gradients (training), else returns the input.
    ///
    /// # Shapes
    ///
    /// - input: any
    /// - output: the same
    pub fn forward<B: Backend, const D: usize>(&self, input: Tensor<B, D>) -> Tensor<B, D> {
        let draw = self.draw::<B>(&input.device());
        self.forward_drawn(input, draw)
    }

    /// What one call of [`forward`](Self::forward) on `device` takes from the backend's
    /// generator, taken now: with it, [`forward_drawn`](Self::forward_drawn) can run later or
    /// on another thread and still apply the mask `forward` would have applied here.
    pub(crate) fn draw<B: Backend>(&self, device: &B::Device) -> MaskDraw {
        if self.prob == 0.0 || !B::ad_enabled(device) {
            return MaskDraw::Off;
        }
        // A dropout built with `Auto` outside a config resolves it here, at each call.
        match self.masks.resolve::<B>(device) {
            DropoutMasks::Auto | DropoutMasks::Backend => MaskDraw::Backend,
            DropoutMasks::Host => MaskDraw::Host(thread_mask_seed().unwrap_or_else(|| {
                Tensor::<B, 1>::random([2], Distribution::Default, device)
                    .into_data()
                    .iter::<f64>()
                    .fold(0u64, |acc, u| acc.rotate_left(32) ^ u.to_bits())
            })),
        }
    }

    /// Applies dropout with a mask drawn by [`draw`](Self::draw).
    pub(crate) fn forward_drawn<B: Backend, const D: usize>(
        &self,
        input: Tensor<B, D>,
        draw: MaskDraw,
    ) -> Tensor<B, D> {
        let keep = 1.0 - self.prob;
        let mask = match draw {
            MaskDraw::Off => return input,
            MaskDraw::Backend => input
                .random_like(Distribution::Bernoulli(keep))
                .mul_scalar(1.0 / keep),
            MaskDraw::Host(seed) => {
                let shape = input.shape();
                let values = host_mask(shape.num_elements(), keep, seed);
                Tensor::from_data(TensorData::new(values, shape), &input.device())
            }
        };
        input * mask
    }
}

thread_local! {
    /// This thread's stream of host-mask seeds, when it has one (SplitMix64's state).
    static MASK_STREAM: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Gives the calling thread a stream of its own for the masks [`MaskDropout`] draws on the host
/// ([`DropoutMasks::Host`]), seeded with `seed`; `None` returns it to the backend's generator
/// (the default).
///
/// A backend's generator is the process's: threads that train side by side (the peers of a
/// data-parallel run in one process) would take its draws in whatever order they reach it,
/// and their masks would change from run to run. With a stream per thread, each thread's masks
/// depend on its seed alone.
pub fn seed_thread_masks(seed: Option<u64>) {
    MASK_STREAM.with(|stream| stream.set(seed));
}

/// The next seed of this thread's stream, if it has one.
fn thread_mask_seed() -> Option<u64> {
    MASK_STREAM.with(|stream| {
        let state = stream.get()?.wrapping_add(GOLDEN_GAMMA);
        stream.set(Some(state));
        Some(mix64(state))
    })
}

/// The golden-ratio increment of SplitMix64 (Steele, Lea and Flood, OOPSLA 2014).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: 64 well-mixed bits from `z`.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random part of one dropout call, drawn ahead of the call (see [`MaskDropout::draw`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MaskDraw {
    /// Dropout is inactive: evaluation, or a probability of 0.
    Off,
    /// The backend samples the mask when it is applied (not drawn ahead).
    Backend,
    /// The host mask's seed.
    Host(u64),
}

/// `n` mask values: `1 / keep` with probability `keep`, else 0, from SplitMix64 seeded with
/// `seed`, four 16-bit draws per 64-bit output.
///
/// The keep probability is rounded down to a multiple of 2^-16 and the scale is the inverse of
/// the rounded value, so the mask's expectation is exactly 1.
fn host_mask(n: usize, keep: f64, seed: u64) -> Vec<f32> {
    // P(u < threshold) = threshold / 2^16 for u uniform on 0..2^16; at least one value kept.
    let threshold = ((keep * 65_536.0) as u64).clamp(1, 65_536);
    let scale = (65_536.0 / threshold as f64) as f32;
    let value = |bits: u64| {
        if (bits & 0xFFFF) < threshold {
            scale
        } else {
            0.0
        }
    };
    let mut out = vec![0.0_f32; n];
    for (i, chunk) in out.chunks_mut(4).enumerate() {
        // SplitMix64 at counter i: no dependency between chunks.
        let z = mix64(seed.wrapping_add((i as u64 + 1).wrapping_mul(GOLDEN_GAMMA)));
        for (k, slot) in chunk.iter_mut().enumerate() {
            *slot = value(z >> (16 * k));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::host_mask;

    #[test]
    fn host_mask_keeps_the_asked_share_with_the_inverse_scale() {
        for keep in [0.3, 0.5, 0.7, 0.999] {
            let mask = host_mask(100_001, keep, 42);
            assert_eq!(mask.len(), 100_001);
            let kept = mask.iter().filter(|&&m| m != 0.0).count() as f64 / mask.len() as f64;
            assert!((kept - keep).abs() < 0.01, "keep {keep}: kept {kept}");
            let scale = (1.0 / keep) as f32;
            assert!(
                mask.iter()
                    .all(|&m| m == 0.0 || (m - scale).abs() <= 1e-4 * scale)
            );
        }
    }

    #[test]
    fn host_mask_depends_on_the_seed_only() {
        assert_eq!(host_mask(1000, 0.5, 7), host_mask(1000, 0.5, 7));
        assert_ne!(host_mask(1000, 0.5, 7), host_mask(1000, 0.5, 8));
    }
}
