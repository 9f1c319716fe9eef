//! Shared helpers: the backends under test, f32 inputs, and gradient read-outs; the rest are the
//! workspace's (`shiftkit-testkit`).
#![allow(dead_code)]

use burn::backend::{Autodiff, NdArray};
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Element, Tensor, TensorData};
use shiftkit_nn::CnnEncoderConfig;

pub use shiftkit_testkit::{max_abs_diff, serial, weights};

/// The inner (plain) backend: evaluation mode.
pub type Inner = NdArray<f32>;
/// The autodiff backend: training mode.
pub type Ad = Autodiff<Inner>;

/// A deterministic pseudo-random vector in [-1, 1], in f32.
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    shiftkit_testkit::values_f32(n, seed)
}

/// A CNN configuration for small test images: `image_size`, the two convolutions' channels and
/// the hidden width; the rest ShiftKit's defaults.
pub fn small_cnn(
    image_size: [usize; 2],
    conv_channels: [usize; 2],
    hidden_dim: usize,
) -> CnnEncoderConfig {
    CnnEncoderConfig::new()
        .with_image_size(image_size)
        .with_conv_channels(conv_channels)
        .with_hidden_dim(hidden_dim)
}

/// A tensor of the given shape filled from [`values`].
pub fn input<B: Backend, const D: usize>(shape: [usize; D], seed: u64) -> Tensor<B, D> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(values(n, seed), shape), &Default::default())
}

/// The values of a tensor as f32.
pub fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec::<f32>().unwrap()
}

/// The gradient of every float parameter of `module` that has one, in visiting order.
pub fn parameter_gradients<B: AutodiffBackend, M: Module<B>>(
    module: &M,
    grads: &B::Gradients,
) -> Vec<Vec<f32>> {
    parameter_gradients_as::<f32, B, M>(module, grads)
}

/// [`parameter_gradients`] as values of `E`.
pub fn parameter_gradients_as<E: Element, B: AutodiffBackend, M: Module<B>>(
    module: &M,
    grads: &B::Gradients,
) -> Vec<Vec<E>> {
    struct Collect<'a, E, B: AutodiffBackend> {
        grads: &'a B::Gradients,
        found: Vec<Vec<E>>,
    }
    impl<E: Element, B: AutodiffBackend> ModuleVisitor<B> for Collect<'_, E, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = param.val().grad(self.grads) {
                self.found
                    .push(g.into_data().convert::<E>().to_vec::<E>().unwrap());
            }
        }
    }
    let mut collect = Collect {
        grads,
        found: Vec::new(),
    };
    module.visit(&mut collect);
    collect.found
}
