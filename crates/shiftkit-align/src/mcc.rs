//! Minimum class confusion (Jin et al., ECCV 2020): the target predictions' confusion
//! between classes.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::Backend;

/// MCC's loss on a batch of logits `z` `[B, K]`, with temperature `T`:
///
/// ```text
/// Y_ij  = softmax(z_i / T)_j
/// H_i   = -sum_j Y_ij log Y_ij
/// W_ii  = B (1 + exp(-H_i)) / sum_b (1 + exp(-H_b))      constants: no gradient
/// C     = Y^T W Y                                         [K, K], class confusion
/// C~_jk = C_jk / sum_l C_jl                               each row normalised
/// L     = (sum_jk C~_jk - sum_j C~_jj) / K
/// ```
///
/// `L` is in `[0, (K - 1) / K]`: 0 when every prediction is one-hot and every class is
/// predicted in the batch, `(K - 1) / K` when every prediction is uniform; it grows as
/// probability is shared between classes. The weights count certain predictions more, as
/// CDAN+E's do. The row normalisation keeps a class that the batch predicts often from
/// weighing more than a rare one.
///
/// Computed without dividing by a row's sum: since each `Y_i` sums to 1, row `j` of `C~` is
/// the batch's predictions averaged with the shares `A_bj = W_bb Y_bj / sum_b W_bb Y_bj`, a
/// softmax over the batch of `log W_bb + log Y_bj`, so `L = 1 - sum_j sum_b A_bj Y_bj / K`.
/// The shares stay exact where a class has all but no probability in the batch: a row sum
/// of `1e-29`, which a confident classifier gives in f32, has a square of 0, and the
/// division's gradient would be infinite. A class with no probability at all counts at the
/// limit of a vanishing one, its row the predictions of the rows that come closest to it.
///
/// # Shapes
///
/// - logits: `[B, K]`
/// - output: `[1]`
pub fn class_confusion<B: Backend>(logits: Tensor<B, 2>, temperature: f64) -> Tensor<B, 1> {
    let classes = logits.dims()[1];
    let log_probabilities = log_softmax(logits.div_scalar(temperature), 1);
    let probabilities = log_probabilities.clone().exp();
    let entropy = (probabilities.clone() * log_probabilities.clone())
        .sum_dim(1)
        .neg();
    // `log (1 + exp(-H))`: the weights' normalisation over the batch cancels in the shares.
    let log_certainty = entropy.neg().exp().add_scalar(1.0).log().detach();
    let shares = softmax(log_probabilities + log_certainty, 0);
    let kept = (shares * probabilities).sum();
    kept.neg()
        .add_scalar(classes as f64)
        .div_scalar(classes as f64)
}
