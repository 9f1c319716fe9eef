//! How target centroids start.

use serde::{Deserialize, Serialize};

/// How target centroids start, which decides the classes the loss averages over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CentroidStart {
    /// A class seen for the first time takes its batch mean; the loss averages over the
    /// classes present in the source batch *and* already seen in the target.
    #[default]
    FirstSighting,
    /// ShiftKit's and the MSTN paper's rule: every centroid starts at zero and the first batch
    /// mean is blended into it like any other; the loss averages over every class present in
    /// the source batch. Early on this pulls source class means towards the origin, which
    /// restrains the growth of the features.
    Zero,
}
