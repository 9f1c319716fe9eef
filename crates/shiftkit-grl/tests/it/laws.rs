//! Property tests: for any shape of rank 1 to 4 and any values, the forward is bit-identical to
//! its input, and the backward is exactly `-alpha * upstream`.

use crate::common;

use burn::tensor::{Tensor, TensorData};
use common::Ad;
use proptest::prelude::*;
use shiftkit_grl::reverse_gradient;

/// A shape of rank 1 to 4 with at most 6 entries per axis, and that many values.
fn shape_and_values() -> impl Strategy<Value = (Vec<usize>, Vec<f64>, Vec<f64>)> {
    prop::collection::vec(1usize..=6, 1..=4).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        let value = prop_oneof![-1e6f64..1e6, -1.0f64..1.0, Just(0.0), Just(-0.0)];
        (
            Just(shape),
            prop::collection::vec(value.clone(), n),
            prop::collection::vec(value, n),
        )
    })
}

fn bits(data: TensorData) -> Vec<u64> {
    data.to_vec::<f64>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

/// Runs the checks for one rank.
fn check<const D: usize>(shape: &[usize], x: Vec<f64>, upstream: Vec<f64>, alpha: f64) {
    let device = Default::default();
    let input = Tensor::<Ad, D>::from_data(TensorData::new(x.clone(), shape.to_vec()), &device)
        .require_grad();
    let up = Tensor::<Ad, D>::from_data(TensorData::new(upstream.clone(), shape.to_vec()), &device);
    let output = reverse_gradient(input.clone(), alpha).unwrap();

    // Forward: the very same bits, signed zeros included.
    assert_eq!(
        bits(output.to_data()),
        bits(TensorData::new(x, shape.to_vec()))
    );

    // Backward: d/dx sum(grl(x) * u) = -alpha * u.
    let grads = (output * up).sum().backward();
    let got = input.grad(&grads).unwrap().into_data();
    let expected: Vec<f64> = upstream.iter().map(|u| u * -alpha).collect();
    assert_eq!(bits(got), bits(TensorData::new(expected, shape.to_vec())));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn forward_is_bit_identical_and_backward_is_minus_alpha_upstream(
        (shape, x, upstream) in shape_and_values(),
        alpha in prop_oneof![-10.0f64..10.0, Just(0.0), Just(1.0)],
    ) {
        match shape.len() {
            1 => check::<1>(&shape, x, upstream, alpha),
            2 => check::<2>(&shape, x, upstream, alpha),
            3 => check::<3>(&shape, x, upstream, alpha),
            _ => check::<4>(&shape, x, upstream, alpha),
        }
    }
}
