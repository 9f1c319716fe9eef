//! CDAN's randomized multilinear map, for features and class counts whose full map is too
//! wide.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

/// The golden-ratio increment of SplitMix64, which separates the two matrices' streams.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The randomized multilinear map `(f R_f) ⊙ (g R_g) / sqrt(d_r)` of CDAN, with its fixed
/// random matrices `R_f` `[d, d_r]` and `R_g` `[K, d_r]` of standard normal draws, drawn on
/// the host from a seed (independent of the backend's generator).
#[derive(Debug, Clone)]
pub struct RandomizedMap<B: Backend> {
    r_f: Tensor<B, 2>,
    r_g: Tensor<B, 2>,
}

impl<B: Backend> RandomizedMap<B> {
    /// The map from `features` wide features and `classes` predictions to `dim` outputs,
    /// its matrices drawn from `seed`.
    pub fn new(features: usize, classes: usize, dim: usize, seed: u64, device: &B::Device) -> Self {
        let draw = |rows: usize, stream: u64| {
            let values = gaussian(rows * dim, seed ^ stream.wrapping_mul(GOLDEN_GAMMA));
            Tensor::from_data(TensorData::new(values, [rows, dim]), device)
        };
        Self {
            r_f: draw(features, 1),
            r_g: draw(classes, 2),
        }
    }

    /// The map of each row.
    ///
    /// # Shapes
    ///
    /// - features: `[N, d]`, predictions: `[N, K]`
    /// - output: `[N, d_r]`
    pub fn forward(&self, features: Tensor<B, 2>, predictions: Tensor<B, 2>) -> Tensor<B, 2> {
        let [_, r] = self.r_f.dims();
        (features.matmul(self.r_f.clone()) * predictions.matmul(self.r_g.clone()))
            .div_scalar((r as f64).sqrt())
    }
}

/// `n` standard normal draws (Box-Muller over SplitMix64), deterministic for `seed`.
fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut stream = SplitMix64::seed_from_u64(seed);
    let mut next = || {
        // A uniform in (0, 1]: 53 bits, shifted off zero.
        ((stream.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (next(), next());
            ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
        })
        .collect()
}
