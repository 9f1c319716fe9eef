//! Shared helpers of the gradient-check suite: the f64 backends; the data, tensor and
//! finite-difference helpers are the workspace's (`shiftkit-testkit`).
#![allow(dead_code)]

use burn::backend::{Autodiff, NdArray};

pub use shiftkit_testkit::{assert_close, finite_differences, matrix, to_vec, values};

/// The inner (plain) backend: finite differences are taken here.
pub type Inner = NdArray<f64>;
/// The autodiff backend under test.
pub type Ad = Autodiff<Inner>;
