use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::error::AlignError;

/// The per-class means of one batch, with the class counts.
#[derive(Debug, Clone)]
pub struct ClassMeans<B: Backend> {
    /// Mean feature of each class; a row of zeros for a class absent from the batch.
    ///
    /// Shape `[num_classes, latent_dim]`.
    pub means: Tensor<B, 2>,
    /// Number of samples of each class, as floats. Shape `[num_classes, 1]`.
    pub counts: Tensor<B, 2>,
}

/// Per-class mean features of a batch, as batched tensor work: no loop over classes and no
/// host read.
///
/// With `Y` the `[num_classes, n]` one-hot matrix of the labels (built by comparing the labels
/// with `0..num_classes`), the counts are its row sums and
///
/// ```text
/// sums  = Y @ z                       [num_classes, d]
/// means = sums / max(counts, 1)
/// ```
///
/// so the whole computation is one comparison, one reduction, one matrix product and one
/// division, however many classes there are. Gradients flow to `features` when they are
/// tracked.
///
/// A label outside `[0, num_classes)` matches no class, so its row is ignored; validate labels
/// beforehand where that matters (the aligner's [`step`](crate::CentroidAligner::step) does).
///
/// # Shapes
///
/// - `features`: `[n, d]`
/// - `labels`: `[n]`
/// - output: means `[num_classes, d]`, counts `[num_classes, 1]`
///
/// # Errors
///
/// [`AlignError::BatchLength`] (with `domain: None`) when `labels` and `features` differ in
/// length; [`AlignError::TooFewClasses`] when `num_classes` is zero.
pub fn class_means<B: Backend>(
    features: Tensor<B, 2>,
    labels: Tensor<B, 1, Int>,
    num_classes: usize,
) -> Result<ClassMeans<B>, AlignError> {
    let [rows, _] = features.dims();
    let [n_labels] = labels.dims();
    if rows != n_labels {
        return Err(AlignError::BatchLength {
            domain: None,
            features: rows,
            labels: n_labels,
        });
    }
    if num_classes == 0 {
        return Err(AlignError::TooFewClasses(num_classes));
    }
    Ok(class_means_unchecked(features, labels, num_classes))
}

/// [`class_means`] on inputs whose shapes are known to agree.
pub(crate) fn class_means_unchecked<B: Backend>(
    features: Tensor<B, 2>,
    labels: Tensor<B, 1, Int>,
    num_classes: usize,
) -> ClassMeans<B> {
    let ClassSums { sums, counts } = class_sums_unchecked(features, labels, num_classes);
    let means = sums / counts.clone().clamp_min(1.0);
    ClassMeans { means, counts }
}

/// The per-class sums of a batch's features, `[num_classes, d]`, and the class counts,
/// `[num_classes, 1]`.
pub(crate) struct ClassSums<B: Backend> {
    pub(crate) sums: Tensor<B, 2>,
    pub(crate) counts: Tensor<B, 2>,
}

/// `Y @ z` and the row sums of `Y`, `Y` the one-hot matrix of the labels (see
/// [`class_means`]), on inputs whose shapes agree.
pub(crate) fn class_sums_unchecked<B: Backend>(
    features: Tensor<B, 2>,
    labels: Tensor<B, 1, Int>,
    num_classes: usize,
) -> ClassSums<B> {
    let [n, d] = features.dims();
    let device = features.device();
    if n == 0 {
        // An empty batch: nothing present. Kept off the matmul path, whose behaviour on empty
        // operands varies between backends.
        return ClassSums {
            sums: Tensor::zeros([num_classes, d], &device),
            counts: Tensor::zeros([num_classes, 1], &device),
        };
    }
    let classes = Tensor::<B, 1, Int>::arange(0..num_classes as i64, &device)
        .reshape([num_classes, 1])
        .expand([num_classes, n]);
    let one_hot = labels
        .reshape([1, n])
        .expand([num_classes, n])
        .equal(classes)
        .float();
    let counts = one_hot.clone().sum_dim(1);
    let sums = one_hot.matmul(features);
    ClassSums { sums, counts }
}
