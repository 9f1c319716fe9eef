use core::fmt;

use thiserror::Error;

/// Which half of an alignment batch an input belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// The labelled source domain (true labels).
    Source,
    /// The unlabelled target domain (pseudo-labels).
    Target,
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Source => "source",
            Self::Target => "target",
        })
    }
}

/// What can go wrong when configuring, stepping or restoring a centroid aligner.
///
/// Every variant carries the offending value. On any error the aligner's state is left as it
/// was.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AlignError {
    /// Class-level alignment needs at least two classes (class means, at least one).
    #[error("too few classes ({0}): centroid alignment needs at least 2, class means at least 1")]
    TooFewClasses(usize),
    /// The feature width `latent_dim` was zero.
    #[error("the latent dimension must be at least 1, got {0}")]
    InvalidLatentDim(usize),
    /// The centroid momentum (the weight of the new batch) was outside `(0, 1]` or NaN.
    #[error("the centroid momentum must lie in (0, 1], got {0}")]
    InvalidMomentum(f64),
    /// A label (or pseudo-label) was outside `[0, num_classes)`.
    #[error("{domain} label {label} is outside [0, {num_classes})")]
    LabelOutOfRange {
        /// The batch the label came from.
        domain: Domain,
        /// The offending label.
        label: i64,
        /// The number of classes of the aligner.
        num_classes: usize,
    },
    /// A feature matrix did not have `latent_dim` columns.
    #[error("{domain} features have width {actual}, expected latent_dim = {expected}")]
    FeatureWidth {
        /// The batch the features came from.
        domain: Domain,
        /// The aligner's `latent_dim`.
        expected: usize,
        /// The width of the features given.
        actual: usize,
    },
    /// A feature matrix and its labels had different numbers of rows.
    #[error("{} batch has {features} feature rows but {labels} labels", domain.map_or("a".to_string(), |d| format!("the {d}")))]
    BatchLength {
        /// The batch concerned; `None` from the standalone [`class_means`](crate::class_means).
        domain: Option<Domain>,
        /// Rows of the feature matrix.
        features: usize,
        /// Length of the label vector.
        labels: usize,
    },
    /// A saved record's vector did not have the length its dimensions imply.
    #[error("record field `{field}` has {actual} values, expected {expected}")]
    RecordLength {
        /// The field of [`CentroidRecord`](crate::CentroidRecord) concerned.
        field: &'static str,
        /// The length implied by `num_classes` and `latent_dim`.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// A loss needs more rows in a domain's batch than it got (a covariance or an unbiased
    /// MMD needs pairs).
    #[error("the {domain} batch has {actual} rows, at least {needed} are needed")]
    TooFewSamples {
        /// The domain whose batch is too small.
        domain: Domain,
        /// The fewest rows the loss accepts.
        needed: usize,
        /// The rows given.
        actual: usize,
    },
    /// A kernel bandwidth is not finite and positive, or so small that `2 sigma^2` is not a
    /// normal f32 (the kernel would give NaN); NaN: the list is empty.
    #[error(
        "kernel bandwidths must be finite and > 0, with 2 sigma^2 a normal f32 (and at least one given), got {0}"
    )]
    InvalidBandwidth(f64),
    /// A state handed to [`CentroidAligner::commit`](crate::CentroidAligner::commit) has
    /// another shape than the aligner's.
    #[error(
        "a centroid state of {actual:?} does not fit an aligner of {expected:?} (classes, latent_dim)"
    )]
    StateShape {
        /// The aligner's `(num_classes, latent_dim)`.
        expected: (usize, usize),
        /// The state's.
        actual: (usize, usize),
    },

    /// Batch sums handed to
    /// [`propose_from_sums`](crate::CentroidAligner::propose_from_sums) are not `[K, 2d + 2]`.
    #[error("batch sums of shape {actual:?} do not fit an aligner that expects {expected:?}")]
    SumsShape {
        /// `[num_classes, 2 latent_dim + 2]`.
        expected: [usize; 2],
        /// The shape handed in.
        actual: [usize; 2],
    },
}

/// Checks the hyper-parameters shared by the config and the record.
pub(crate) fn check_hyper(
    num_classes: usize,
    latent_dim: usize,
    momentum: f64,
) -> Result<(), AlignError> {
    if num_classes < 2 {
        return Err(AlignError::TooFewClasses(num_classes));
    }
    if latent_dim == 0 {
        return Err(AlignError::InvalidLatentDim(latent_dim));
    }
    // Written so that NaN fails too.
    if !(momentum > 0.0 && momentum <= 1.0) {
        return Err(AlignError::InvalidMomentum(momentum));
    }
    Ok(())
}

/// Checks the dimensions of a source and a target feature batch for a loss between the two
/// domains: the same width, at least one feature, and at least two rows in each. Returns the
/// rows of each and the width.
pub(crate) fn check_feature_pair(
    [n_s, d]: [usize; 2],
    [n_t, d_t]: [usize; 2],
) -> Result<(usize, usize, usize), AlignError> {
    if d == 0 {
        return Err(AlignError::InvalidLatentDim(0));
    }
    if d_t != d {
        return Err(AlignError::FeatureWidth {
            domain: Domain::Target,
            expected: d,
            actual: d_t,
        });
    }
    for (domain, rows) in [(Domain::Source, n_s), (Domain::Target, n_t)] {
        if rows < 2 {
            return Err(AlignError::TooFewSamples {
                domain,
                needed: 2,
                actual: rows,
            });
        }
    }
    Ok((n_s, n_t, d))
}
