//! The aligner in f32, in its own test binary: in burn 0.21, `NdArray<f32>` and `NdArray<f64>`
//! share one device, whose default float type is fixed process-wide by whichever backend
//! touches it first, so the two precisions cannot be mixed in one process.

mod common;

use burn::backend::NdArray;
use burn::tensor::DType;
use common::{labels, matrix, round_trip, to_vec};
use shiftkit_align::CentroidAlignerConfig;

#[test]
fn round_trips_exactly_in_f32() {
    let dtype = round_trip::<NdArray<f32>>();
    assert_eq!(dtype, DType::F32);
}

#[test]
fn works_in_f32() {
    let mut a = CentroidAlignerConfig::new(3, 2)
        .init::<NdArray<f32>>(&Default::default())
        .unwrap();
    let loss = a
        .step(
            &matrix(&[1.0, 2.0, 3.0, 4.0], 2, 2),
            &labels(&[0, 0]),
            &matrix(&[0.0, 0.0], 1, 2),
            &labels(&[0]),
        )
        .unwrap();
    assert_eq!(to_vec(loss), vec![6.5]);
}
