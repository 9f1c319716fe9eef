//! Save and restore in f64: record -> serde_json -> record -> aligner reproduces the state bit
//! for bit, and the restored aligner continues exactly as the original.
//!
//! f32 runs on flex (`f32.rs`): in burn 0.21, `NdArray<f32>` and `NdArray<f64>` share one
//! device, whose default float type is fixed process-wide by whichever backend touches it
//! first, so the two precisions cannot be mixed in one process.

use crate::common;

use burn::backend::NdArray;
use burn::tensor::DType;
use common::round_trip;

#[test]
fn round_trips_exactly_in_f64() {
    let dtype = round_trip::<NdArray<f64>>();
    assert_eq!(dtype, DType::F64);
}
