//! The dense layer of the lowering ([`LoweringBackend::dense`]) is Burn's `linear` bit for bit,
//! forward and backward: on flex, where it runs its own products, with products small enough
//! for one thread and large enough for flex's pool, and with strided views; on ndarray, where
//! it is Burn's op itself.

use crate::common;
use common::{serial, to_vec, values};

use burn::backend::{Autodiff, Flex, NdArray};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use shiftkit_nn::kernels::LoweringBackend;

/// How the layer's input reaches it.
#[derive(Clone, Copy, Debug)]
enum Input {
    /// A row-major `[N, d_in]` tensor.
    RowMajor,
    /// The transpose of a row-major `[d_in, N]` tensor: a strided view.
    Transposed,
}

shiftkit_testkit::test_cases! {
    /// `64 x 256 x 128`: below flex's threshold for its thread pool.
    flex_dense_is_linear_on_one_thread => agree::<Autodiff<Flex<f32>>>([64, 256, 128], Input::RowMajor);
    /// `64 x 784 x 512`: the MLP's first layer, on flex's pool.
    flex_dense_is_linear_on_the_pool => agree::<Autodiff<Flex<f32>>>([64, 784, 512], Input::RowMajor);
    flex_dense_is_linear_on_a_transposed_input => agree::<Autodiff<Flex<f32>>>([5, 7, 3], Input::Transposed);
    flex_dense_is_linear_on_a_large_transposed_input => agree::<Autodiff<Flex<f32>>>([128, 512, 512], Input::Transposed);
    ndarray_dense_is_linear => agree::<Autodiff<NdArray<f32>>>([9, 4, 6], Input::RowMajor);
}

/// `dense` against `burn::tensor::module::linear` on the same values: the outputs, and the
/// gradients of a loss that reads the output through a transpose (so its gradient reaches the
/// layer as a strided view) and weighs every element differently.
fn agree<B: AutodiffBackend + LoweringBackend>([n, d_in, d_out]: [usize; 3], input: Input) {
    let _serial = serial();
    let device = Default::default();
    let tensor = |dims: Vec<usize>, seed| {
        let len = dims.iter().product();
        Tensor::<B, 1>::from_data(TensorData::new(values(len, seed), [len]), &device)
    };
    let x = match input {
        Input::RowMajor => tensor(vec![n, d_in], 1).reshape([n, d_in]),
        Input::Transposed => tensor(vec![d_in, n], 1).reshape([d_in, n]).swap_dims(0, 1),
    };
    let weight = tensor(vec![d_in, d_out], 2).reshape([d_in, d_out]);
    let bias = tensor(vec![d_out], 3);
    let loss_weights = tensor(vec![d_out, n], 4).reshape([d_out, n]);

    let run = |lowered: bool| {
        let x = x.clone().require_grad();
        let weight = weight.clone().require_grad();
        let bias = bias.clone().require_grad();
        let out = if lowered {
            Tensor::<B, 2>::from_primitive(TensorPrimitive::Float(B::dense(
                x.clone().into_primitive().tensor(),
                weight.clone().into_primitive().tensor(),
                bias.clone().into_primitive().tensor(),
            )))
        } else {
            burn::tensor::module::linear(x.clone(), weight.clone(), Some(bias.clone()))
        };
        let grads = (out.clone().swap_dims(0, 1) * loss_weights.clone())
            .sum()
            .backward();
        [
            to_vec(out.inner()),
            to_vec(x.grad(&grads).expect("x's gradient")),
            to_vec(weight.grad(&grads).expect("the weight's gradient")),
            to_vec(bias.grad(&grads).expect("the bias's gradient")),
        ]
    };
    let (lowered, linear) = (run(true), run(false));
    for ((l, r), what) in lowered.iter().zip(&linear).zip([
        "output",
        "x's gradient",
        "weight's gradient",
        "bias's gradient",
    ]) {
        assert_eq!(l.len(), r.len(), "{what}");
        let differ = l
            .iter()
            .zip(r)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(differ, 0, "{what}: {differ} of {} values differ", l.len());
    }
}

/// Only the tracked parents get a gradient: an untracked input (a batch of images) costs no
/// product.
#[test]
fn an_untracked_input_gets_no_gradient() {
    type B = Autodiff<Flex<f32>>;
    let _serial = serial();
    let device = Default::default();
    let x = Tensor::<B, 2>::from_data(TensorData::new(values(12, 1), [3, 4]), &device);
    let weight =
        Tensor::<B, 2>::from_data(TensorData::new(values(8, 2), [4, 2]), &device).require_grad();
    let bias = Tensor::<B, 1>::from_data(TensorData::new(values(2, 3), [2]), &device);
    let out = Tensor::<B, 2>::from_primitive(TensorPrimitive::Float(B::dense(
        x.clone().into_primitive().tensor(),
        weight.clone().into_primitive().tensor(),
        bias.clone().into_primitive().tensor(),
    )));
    let grads = out.sum().backward();
    assert!(x.grad(&grads).is_none());
    assert!(bias.grad(&grads).is_none());
    // d(sum(xW + b))/dW[i][j] = the sum of x's column i.
    let x_values = values(12, 1);
    let expected = (0..4).flat_map(|i| {
        let column: f32 = (0..3).map(|r| x_values[r * 4 + i]).sum();
        [column, column]
    });
    for (got, want) in to_vec(weight.grad(&grads).unwrap())
        .into_iter()
        .zip(expected)
    {
        assert!((got - want).abs() <= 1e-6, "{got} against {want}");
    }
}
