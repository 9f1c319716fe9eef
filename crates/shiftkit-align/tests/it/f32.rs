//! The aligner in f32, on flex: in burn 0.21, `Flex<f32>` and `NdArray<f64>` share one
//! device, whose default float type is fixed process-wide by whichever backend touches it
//! first, so the f64 tests' ndarray and an f32 ndarray cannot share this test binary.

use crate::common;

use burn::backend::Flex;
use burn::tensor::DType;
use common::{round_trip, step_on};
use shiftkit_align::CentroidAlignerConfig;

#[test]
fn round_trips_exactly_in_f32() {
    let dtype = round_trip::<Flex<f32>>();
    assert_eq!(dtype, DType::F32);
}

#[test]
fn works_in_f32() {
    let mut a = CentroidAlignerConfig::new(3, 2)
        .init::<Flex<f32>>(&Default::default())
        .unwrap();
    let loss = step_on(
        &mut a,
        (&[1.0, 2.0, 3.0, 4.0], &[0, 0]),
        (&[0.0, 0.0], &[0]),
    );
    assert_eq!(loss, vec![6.5]);
}
