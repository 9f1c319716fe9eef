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

use shiftkit_kernels::adam::{AdamStep, adam_update};

use shiftkit_nn::host_backend;

/// Adam's moments for one parameter.
#[derive(Record, Clone)]
pub struct AdamState<B: Backend, const D: usize> {
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
pub struct Adam {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    weight_decay: f64,
}

impl Adam {
    /// PyTorch's betas (0.9, 0.999) with the given epsilon and decoupled weight decay.
    pub fn new(epsilon: f64, weight_decay: f64) -> Self {
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

    /// The update in one loop over host slices ([`adam_update`]).
    #[inline]
    fn step_host(&self, f: &Factors, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let step = AdamStep {
            beta_1: self.beta_1 as f32,
            beta_2: self.beta_2 as f32,
            step_size: f.step_size as f32,
            inv_correction: (1.0 / f.correction_2_sqrt) as f32,
            epsilon: self.epsilon as f32,
            decay: f.decay as f32,
        };
        adam_update(&step, p, g, m, v);
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

    /// The fused loop (checked against PyTorch's AdamW in `shiftkit_kernels::adam`) and the
    /// tensor operations other backends run take the same steps.
    #[test]
    fn fused_and_tensor_updates_agree() {
        let grads = [
            [0.5_f32, -2.0, 1e-4, 0.0],
            [0.3, -1.0, -1e-4, 0.0],
            [-0.7, 4.0, 2e-4, 0.0],
        ];
        let start = [1.0_f32, -0.5, 0.25, 2.0];
        for (eps, wd) in [(1e-8, 0.0), (1e-3, 0.1)] {
            let adam = Adam::new(eps, wd);
            let (mut p, mut m, mut v) = (start.to_vec(), vec![0.0; 4], vec![0.0; 4]);
            let (mut tp, mut tm, mut tv) = (tensor(&start), tensor(&[0.0; 4]), tensor(&[0.0; 4]));
            for (i, g) in grads.iter().enumerate() {
                let f = adam.factors(0.01, i + 1);
                adam.step_host(&f, &mut p, g, &mut m, &mut v);
                [tp, tm, tv] = adam.step_tensors(&f, tp, tensor(g), tm, tv);
            }
            let moved: Vec<f32> = p.iter().zip(&start).map(|(p, s)| p - s).collect();
            assert!(moved.iter().take(3).all(|d| d.abs() > 1e-3), "{moved:?}");
            for (k, (fused, tensors)) in p.iter().zip(values(tp)).enumerate() {
                assert!(
                    (fused - tensors).abs() < 1e-6,
                    "{k}: fused {fused}, tensors {tensors}"
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
