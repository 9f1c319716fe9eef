//! Adam with PyTorch's update and decoupled weight decay, fused into one pass on the CPU.
//!
//! Burn's `Adam` builds the update from thirteen whole-tensor operations (scalings, squares,
//! a square root, a division), each a pass over every parameter: on the CPU backends a
//! sizeable share of an MLP training step (docs/performance.md). Here, on a backend whose
//! tensors live in host memory (flex, ndarray), the parameter, its gradient and both moments
//! are taken out of their tensors (without a copy when nothing else holds them), updated in
//! one loop, and put back. On any other backend (CUDA, wgpu) the same update runs as tensor
//! operations.

use burn::optim::SimpleOptimizer;
use burn::record::Record;
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::host::host_backend;

/// Gradient entries below this magnitude count as zero in the fused update, and moments below
/// [`TINY_MOMENT`] are flushed to zero, so that no intermediate value of the update is a
/// subnormal number: the CPU handles those through a slow path tens of times slower, and a unit
/// whose gradient has stopped (a dead ReLU) would otherwise decay its moments into that range
/// and stay there, costing on every later step. The change to the update is negligible: with
/// `epsilon = 1e-8`, a gradient of `1e-15` moves its parameter by less than `1e-7 * lr`.
const TINY_GRADIENT: f32 = 1e-15;
/// See [`TINY_GRADIENT`].
const TINY_MOMENT: f32 = 1e-30;

/// Adam's moments for one parameter.
#[derive(Record, Clone)]
pub(crate) struct AdamState<B: Backend, const D: usize> {
    moment_1: Tensor<B, D>,
    moment_2: Tensor<B, D>,
    time: usize,
}

/// Adam (Kingma & Ba, 2015) as PyTorch computes it, with AdamW's decoupled weight decay:
///
/// ```text
/// m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
/// p = p (1 - lr wd) - lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)
/// ```
#[derive(Clone, Debug)]
pub(crate) struct Adam {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    weight_decay: f64,
}

impl Adam {
    /// PyTorch's betas (0.9, 0.999) with the given epsilon and decoupled weight decay.
    pub(crate) fn new(epsilon: f64, weight_decay: f64) -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon,
            weight_decay,
        }
    }

    /// The scalars of step `time` (1-based): the step size, `sqrt(1 - b2^t)` and the decay
    /// factor.
    fn factors(&self, lr: f64, time: usize) -> Factors {
        let t = i32::try_from(time).unwrap_or(i32::MAX);
        Factors {
            step_size: lr / (1.0 - self.beta_1.powi(t)),
            correction_2_sqrt: (1.0 - self.beta_2.powi(t)).sqrt(),
            decay: 1.0 - lr * self.weight_decay,
        }
    }

    /// The update in one loop over host slices.
    // Inlinable so that it is compiled with the program that trains (through the generic
    // `step`): a test build compiles this crate unoptimised, where the loop took half of a
    // dev-profile `digits` run; the lab's programs are optimised even there (kill and resume
    // 48 s -> 26 s). Release builds compute the same values either way.
    #[inline]
    fn step_host(&self, f: &Factors, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let (b1, b2) = (self.beta_1 as f32, self.beta_2 as f32);
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        let step_size = f.step_size as f32;
        let inv_correction = (1.0 / f.correction_2_sqrt) as f32;
        let eps = self.epsilon as f32;
        let decay = f.decay as f32;
        // Compiled for the widest vector instructions the processor has (AVX-512 or AVX2,
        // chosen at run time) instead of baseline x86-64's four lanes: 2-5% off the MLP step.
        // Every operation here is exact per lane, so the update is the same bit for bit. The
        // division still bounds the loop: the divider is no faster per element on wide lanes.
        pulp::Arch::new().dispatch(
            #[inline(always)]
            || {
                let params = p.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()));
                for ((p, &g), (m, v)) in params {
                    let g = if g.abs() < TINY_GRADIENT { 0.0 } else { g };
                    let m_new = b1 * *m + c1 * g;
                    let v_new = b2 * *v + c2 * g * g;
                    *m = if m_new.abs() < TINY_MOMENT {
                        0.0
                    } else {
                        m_new
                    };
                    *v = if v_new < TINY_MOMENT { 0.0 } else { v_new };
                    *p = *p * decay - step_size * *m / (v.sqrt() * inv_correction + eps);
                }
            },
        );
    }

    /// The update as tensor operations, for backends whose memory is not the host's.
    fn step_tensors<B: Backend, const D: usize>(
        &self,
        f: &Factors,
        tensor: Tensor<B, D>,
        grad: Tensor<B, D>,
        moment_1: Tensor<B, D>,
        moment_2: Tensor<B, D>,
    ) -> [Tensor<B, D>; 3] {
        let moment_1 = moment_1
            .mul_scalar(self.beta_1)
            .add(grad.clone().mul_scalar(1.0 - self.beta_1));
        let moment_2 = moment_2
            .mul_scalar(self.beta_2)
            .add(grad.square().mul_scalar(1.0 - self.beta_2));
        let denominator = moment_2
            .clone()
            .sqrt()
            .mul_scalar(1.0 / f.correction_2_sqrt)
            .add_scalar(self.epsilon);
        let update = moment_1.clone().div(denominator).mul_scalar(f.step_size);
        let tensor = if self.weight_decay > 0.0 {
            tensor.mul_scalar(f.decay)
        } else {
            tensor
        };
        [tensor.sub(update), moment_1, moment_2]
    }
}

/// The scalars of one step.
struct Factors {
    step_size: f64,
    correction_2_sqrt: f64,
    decay: f64,
}

impl<B: Backend> SimpleOptimizer<B> for Adam {
    type State<const D: usize> = AdamState<B, D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        mut tensor: Tensor<B, D>,
        mut grad: Tensor<B, D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<B, D>, Option<Self::State<D>>) {
        let device = tensor.device();
        let time = state.as_ref().map_or(0, |state| state.time) + 1;
        let factors = self.factors(lr, time);
        let (mut moment_1, mut moment_2) = match state {
            Some(state) => (state.moment_1, state.moment_2),
            None => (grad.zeros_like(), grad.zeros_like()),
        };

        let all_f32 = [&tensor, &grad, &moment_1, &moment_2]
            .iter()
            .all(|t| t.dtype() == DType::F32);
        if all_f32 && host_backend::<B>(&device) {
            let [mut p, g, mut m, mut v] =
                [tensor, grad, moment_1, moment_2].map(Tensor::into_data);
            let slices = (
                p.as_mut_slice::<f32>(),
                g.as_slice::<f32>(),
                m.as_mut_slice::<f32>(),
                v.as_mut_slice::<f32>(),
            );
            let fused = if let (Ok(p), Ok(g), Ok(m), Ok(v)) = slices {
                self.step_host(&factors, p, g, m, v);
                true
            } else {
                false
            };
            let back = |data: TensorData| Tensor::<B, D>::from_data(data, &device);
            if fused {
                let state = AdamState {
                    moment_1: back(m),
                    moment_2: back(v),
                    time,
                };
                return (back(p), Some(state));
            }
            // Data that cannot be viewed as f32 slices: the tensor operations below.
            (tensor, grad, moment_1, moment_2) = (back(p), back(g), back(m), back(v));
        }

        let [tensor, moment_1, moment_2] =
            self.step_tensors(&factors, tensor, grad, moment_1, moment_2);
        let state = AdamState {
            moment_1,
            moment_2,
            time,
        };
        (tensor, Some(state))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device<B>) -> Self::State<D> {
        state.moment_1 = state.moment_1.to_device(device);
        state.moment_2 = state.moment_2.to_device(device);
        state
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::optim::SimpleOptimizer;
    use burn::tensor::{Tensor, TensorData};

    use super::Adam;

    type B = NdArray<f32>;

    fn tensor(values: &[f32]) -> Tensor<B, 1> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len()]),
            &Default::default(),
        )
    }

    fn values(t: Tensor<B, 1>) -> Vec<f32> {
        t.into_data().to_vec().unwrap()
    }

    /// PyTorch's `torch.optim.AdamW` for one scalar, in f64.
    fn reference(p0: f64, grads: &[f64], lr: f64, eps: f64, wd: f64) -> f64 {
        let (mut p, mut m, mut v) = (p0, 0.0, 0.0);
        for (i, &g) in grads.iter().enumerate() {
            let t = i as i32 + 1;
            p *= 1.0 - lr * wd;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            let m_hat = m / (1.0 - 0.9_f64.powi(t));
            let v_hat = v / (1.0 - 0.999_f64.powi(t));
            p -= lr * m_hat / (v_hat.sqrt() + eps);
        }
        p
    }

    #[test]
    fn fused_and_tensor_updates_match_the_reference() {
        let grads = [
            [0.5_f32, -2.0, 1e-4, 0.0],
            [0.3, -1.0, -1e-4, 0.0],
            [-0.7, 4.0, 2e-4, 0.0],
        ];
        let start = [1.0_f32, -0.5, 0.25, 2.0];
        for (eps, wd) in [(1e-8, 0.0), (1e-3, 0.1)] {
            let adam = Adam::new(eps, wd);
            // The fused loop, on host slices.
            let (mut p, mut m, mut v) = (start.to_vec(), vec![0.0; 4], vec![0.0; 4]);
            // The tensor operations.
            let (mut tp, mut tm, mut tv) = (tensor(&start), tensor(&[0.0; 4]), tensor(&[0.0; 4]));
            for (i, g) in grads.iter().enumerate() {
                let f = adam.factors(0.01, i + 1);
                adam.step_host(&f, &mut p, g, &mut m, &mut v);
                [tp, tm, tv] = adam.step_tensors(&f, tp, tensor(g), tm, tv);
            }
            let tensor_values = values(tp);
            for k in 0..4 {
                let g: Vec<f64> = grads.iter().map(|g| f64::from(g[k])).collect();
                let expected = reference(f64::from(start[k]), &g, 0.01, eps, wd);
                assert!(
                    (f64::from(p[k]) - expected).abs() < 1e-6,
                    "fused {k}: {} vs {expected}",
                    p[k]
                );
                assert!(
                    (f64::from(tensor_values[k]) - expected).abs() < 1e-6,
                    "tensors {k}: {} vs {expected}",
                    tensor_values[k]
                );
            }
        }
    }

    #[test]
    fn the_optimizer_step_keeps_shape_time_and_moments() {
        let adam = Adam::new(1e-8, 0.0);
        let device = Default::default();
        let p = Tensor::<B, 2>::ones([2, 3], &device);
        let g = Tensor::<B, 2>::ones([2, 3], &device);
        let (p, state) = SimpleOptimizer::<B>::step(&adam, 0.1, p, g.clone(), None);
        let (p, state) = SimpleOptimizer::<B>::step(&adam, 0.1, p, g, state);
        let state = state.unwrap();
        assert_eq!(p.dims(), [2, 3]);
        assert_eq!(state.time, 2);
        // A constant gradient of 1: each step moves by lr (m_hat = v_hat = 1).
        for value in p.into_data().to_vec::<f32>().unwrap() {
            assert!((value - 0.8).abs() < 1e-5, "{value}");
        }
        let m: Vec<f32> = state.moment_1.into_data().to_vec().unwrap();
        assert!(m.iter().all(|&m| (m - 0.19).abs() < 1e-6));
    }
}
