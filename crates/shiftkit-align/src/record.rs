use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::aligner::CentroidAligner;
use crate::error::{AlignError, check_hyper};
use crate::start::CentroidStart;
use crate::state::CentroidState;

/// A host-side snapshot of a [`CentroidAligner`], for checkpoints.
///
/// Centroid values are stored as `f64`, which holds every `f16`, `bf16`, `f32` and `f64` value
/// exactly, so [`CentroidAligner::to_record`] then [`CentroidAligner::from_record`] restores
/// the very same bits on a backend of the same float type. Whether a *serialised* record keeps
/// them depends on the format: JSON through `serde_json` is exact for values that came from
/// `f32` (or narrower); for `f64` values, enable `serde_json`'s `float_roundtrip` feature or use
/// a binary format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CentroidRecord {
    /// Number of classes `K`.
    pub num_classes: usize,
    /// Feature width `d`.
    pub latent_dim: usize,
    /// `beta`, the weight of the new batch mean.
    pub momentum: f64,
    /// How target centroids start (absent in older records: the first-sighting rule).
    #[serde(default)]
    pub start: CentroidStart,
    /// Target centroids, row-major `[K, d]`: `K * d` values.
    pub centroids: Vec<f64>,
    /// Whether each class has been seen in the target domain: `K` flags.
    pub seen: Vec<bool>,
}

impl<B: Backend> CentroidAligner<B> {
    /// Snapshots the hyper-parameters and the state (one host read of the state).
    pub fn to_record(&self) -> CentroidRecord {
        let state = self.state();
        let centroids = state.centroids.to_data().iter::<f64>().collect();
        let seen = state
            .seen
            .clone()
            .int()
            .into_data()
            .iter::<i64>()
            .map(|flag| flag != 0)
            .collect();
        CentroidRecord {
            num_classes: self.num_classes(),
            latent_dim: self.latent_dim(),
            momentum: self.momentum(),
            start: self.start(),
            centroids,
            seen,
        }
    }

    /// Rebuilds an aligner, state included, from a snapshot.
    ///
    /// # Errors
    ///
    /// The errors of [`CentroidAlignerConfig::init`](crate::CentroidAlignerConfig::init) for
    /// out-of-range hyper-parameters, and [`AlignError::RecordLength`] when `centroids` does
    /// not hold `num_classes * latent_dim` values or `seen` not `num_classes` flags.
    pub fn from_record(record: &CentroidRecord, device: &B::Device) -> Result<Self, AlignError> {
        let (k, d) = (record.num_classes, record.latent_dim);
        check_hyper(k, d, record.momentum)?;
        // A damaged record may hold any sizes: a product past usize is a length no vector has.
        let values = k.saturating_mul(d);
        for (field, expected, actual) in [
            ("centroids", values, record.centroids.len()),
            ("seen", k, record.seen.len()),
        ] {
            if expected != actual {
                return Err(AlignError::RecordLength {
                    field,
                    expected,
                    actual,
                });
            }
        }
        let centroids =
            Tensor::<B, 2>::from_data(TensorData::new(record.centroids.clone(), [k, d]), device);
        let seen =
            Tensor::<B, 1, Bool>::from_data(TensorData::new(record.seen.clone(), [k]), device);
        Ok(Self::from_parts(
            k,
            d,
            record.momentum,
            record.start,
            CentroidState { centroids, seen },
        ))
    }
}
