//! Label-free validation for domain adaptation: scores that rank trained models without a
//! single target label, and pictures of the feature space.
//!
//! Unsupervised domain adaptation has no target labels, so which method, which weight and
//! which epoch to keep cannot be read off a target validation set. The validators here
//! score a model from what it produces on held-out *source* rows (features, logits, labels)
//! and on *target* rows (features and logits only). Higher is better for every one of them.
//!
//! | [`Validator`] | reads | score | paper |
//! |---|---|---|---|
//! | `entropy` | target logits | `-mean H(p)` | Grandvalet and Bengio 2005; Morerio et al. 2018 |
//! | `im` | target logits | `H(mean p) - mean H(p)` | Krause et al. 2010 |
//! | `snd` | target logits (or features) | mean entropy of the softmax of cosine similarities at temperature 0.05 | Saito et al. 2021 |
//! | `iwcv` | source features, logits, labels; target features | `-mean(w l)` | Sugiyama et al. 2007 |
//! | `dev` | the same | `-(mean(w l) + eta mean(w) - eta)` | You et al. 2019 |
//!
//! Beside them: the [`proxy_a_distance`] between two feature sets, a two-dimensional
//! [`Pca2`] projection to draw them, and the [`effective_classes`] of a model's predictions
//! (how many classes carry them: a source-only model that uses few of them on the target
//! does not carry the source's classes there).
//!
//! # Example
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::tensor::{Int, Tensor, TensorData};
//! use shiftkit_validate::{ValidationInputs, Validator};
//!
//! let device = Default::default();
//! let matrix = |rows: Vec<[f32; 2]>| {
//!     let n = rows.len();
//!     Tensor::<NdArray, 2>::from_data(TensorData::new(rows.concat(), [n, 2]), &device)
//! };
//! // What a model gave on four held-out source rows and four target rows.
//! let inputs = ValidationInputs::new(
//!     matrix(vec![[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]]), // source features
//!     matrix(vec![[-2.0, 2.0], [3.0, -1.0], [-1.0, 1.5], [2.0, 0.0]]), // source logits
//!     Tensor::<NdArray, 1, Int>::from_data(TensorData::new(vec![1i64, 0, 1, 0], [4]), &device),
//!     matrix(vec![[0.2, 1.1], [1.2, 0.1], [0.0, 0.8], [1.0, 0.3]]), // target features
//!     matrix(vec![[-1.0, 1.0], [2.0, -2.0], [-0.5, 0.5], [1.0, 0.0]]), // target logits
//! )?;
//! for validator in Validator::ALL {
//!     let score = validator.score(&inputs)?; // higher is better
//!     assert!(score.is_finite());
//! }
//! let im = Validator::Im.score(&inputs)?;
//! assert!((0.0..=2f64.ln()).contains(&im));
//! # Ok::<(), shiftkit_validate::ValidateError>(())
//! ```
//!
//! # Why it is built this way
//!
//! - **No target labels can get in.** [`ValidationInputs`] has no field for them.
//! - **The density ratio comes from a small, deterministic domain classifier.** IWCV and
//!   DEV weight source losses by `w(x) = p_t(x) / p_s(x)`. Rather than asking the caller for
//!   ratios, the crate fits an L2-regularised logistic regression on standardised features
//!   by full-batch gradient descent ([`DomainClassifierConfig`]): no randomness, no autodiff
//!   backend, the same inputs give the same score. The loss weighs the domains equally, so
//!   the classifier's logit estimates `ln w(x)` directly. Each source row's ratio comes from
//!   a classifier that did not train on it (two-fold cross-fitting,
//!   [`cross_fitted_density_ratios`]); a caller with other ratios can call [`iwcv_risk`] and
//!   [`dev_risk`] with them.
//! - **SND on probabilities by default**, as the paper and its code do; on features with
//!   [`SndSpace::Features`]. Its similarity matrix is computed in blocks of rows, so memory
//!   stays linear in the number of target rows.
//! - **Heavy work on the backend, small work on the host.** Softmaxes, similarity products
//!   and the classifier's gradient steps are tensor operations on any [`Backend`]; the
//!   final statistics and the eigenvectors of `D x D` matrices are computed in `f64` on the
//!   host.
//! - **Bad input is an error, not a NaN.** Empty inputs, shape mismatches, non-finite
//!   values and out-of-range labels give a [`ValidateError`] naming the input.
//!
//! [`Backend`]: burn::tensor::backend::Backend

#![deny(missing_docs)]

mod domain;
mod entropy;
mod error;
mod host;
mod linalg;
mod pca;
mod risk;
mod snd;
mod validator;

pub use domain::{
    DomainClassifier, DomainClassifierConfig, cross_fitted_density_ratios, proxy_a_distance,
};
pub use entropy::{
    effective_classes, entropy_score, information_maximization, prediction_entropies,
};
pub use error::ValidateError;
pub use pca::{Pca2, pca_2d};
pub use risk::{CONSTANT_WEIGHTS, cross_entropies, dev_risk, iwcv_risk, squared_errors};
pub use snd::{SND_TEMPERATURE, snd_score, soft_neighbourhood_density};
pub use validator::{SndSpace, ValidationInputs, Validator, ValidatorConfig};
