//! The backend extension the lowered CNN runs on.

use std::sync::Arc;

use burn::tensor::backend::Backend;
use burn::tensor::ops::{FloatTensor, ModuleOps};
use burn::tensor::{DType, Tensor, TensorData, TensorPrimitive};

use shiftkit_kernels::lowered::{
    self as host, Affine, ConvShape, ConvSource, NormPoolInputs, PooledLayout,
};
use shiftkit_kernels::planes::Planes;
use shiftkit_kernels::winograd;

/// What the backward of [`LoweringBackend::conv_3x3`] needs: the input (or its im2col matrix,
/// when the forward built it) and the weight.
#[derive(Debug, Clone)]
pub struct ConvState {
    saved: Arc<ConvSaved>,
}

#[derive(Debug)]
struct ConvSaved {
    input: ConvInput,
    weight: Vec<f32>,
    shape: ConvShape,
}

/// The input a convolution's weight gradient reads.
#[derive(Debug)]
enum ConvInput {
    /// The im2col matrix the forward's product used.
    Columns(Vec<f32>),
    /// The input itself: a forward by Winograd's algorithm builds no columns, and the weight
    /// gradient takes the same way.
    Planes(TensorData),
}

/// What the backward of [`LoweringBackend::batch_norm_relu_max_pool_2x2`] needs: the values
/// batch norm received, the batch statistics and the pooling's sources. Also hands the batch
/// statistics to the caller, who updates the running ones.
#[derive(Debug, Clone)]
pub struct BatchNormPoolState {
    saved: Arc<Saved>,
}

#[derive(Debug)]
struct Saved {
    input: TensorData,
    dims: [usize; 4],
    layout: PooledLayout,
    taps: Vec<u8>,
    mean: Vec<f32>,
    variance: Vec<f32>,
    inv_std: Vec<f32>,
    gamma: Vec<f32>,
}

impl BatchNormPoolState {
    /// The batch mean of each channel.
    pub fn batch_mean(&self) -> &[f32] {
        &self.saved.mean
    }

    /// The batch (biased) variance of each channel.
    pub fn batch_variance(&self) -> &[f32] {
        &self.saved.variance
    }
}

/// A backend that runs the lowered CNN's host-side ops on channel-major `[C, N, H, W]`
/// activations: the 3x3 convolution (im2col and one matrix product), and batch norm + ReLU +
/// 2x2 max pooling fused (with batch statistics and its backward, or with fixed statistics for
/// evaluation).
///
/// Every method has a default that runs the loops on host memory (reading the tensor once,
/// writing the result once): fast on the CPU backends, where they replace chains of padded,
/// sliced, strided and broadcast tensor ops. `Autodiff<B>` overrides the training forward ops
/// with differentiable ones whose backward calls the backward methods here. Implemented for
/// the backends enabled by this crate's features; a backend of your own opts in with an empty
/// impl:
///
/// ```ignore
/// impl shiftkit_nn::LoweringBackend for MyBackend {}
/// ```
///
/// On a GPU backend, prefer [`ConvAlgorithm::Backend`](crate::ConvAlgorithm::Backend), which
/// never calls these.
pub trait LoweringBackend: Backend {
    /// `x W + b`, the dense layer of `burn::nn::Linear`, on a batch of rows.
    ///
    /// The default is the backend's own `linear`. Flex overrides it with one matrix product
    /// written straight into the output and the bias added in place, the same `gemm` call as
    /// flex's `linear` makes, so the values are the same bit for bit, without the zero-filled
    /// and then realigned output buffer of each of flex's products.
    ///
    /// # Shapes
    ///
    /// - x: `[N, d_in]`; weight: `[d_in, d_out]`; bias: `[d_out]`
    /// - output: `[N, d_out]`
    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::linear(x, weight, Some(bias))
    }

    /// The gradients of [`dense`](Self::dense)'s `x`, `weight` and `bias`, in that order, from
    /// the gradient of its output; each only where `wanted`. The default is the backend's own
    /// `linear` backward ops (flex overrides it as [`dense`](Self::dense)).
    fn dense_backward(
        grad: FloatTensor<Self>,
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        wanted: [bool; 3],
    ) -> [Option<FloatTensor<Self>>; 3] {
        let [x_wanted, weight_wanted, bias_wanted] = wanted;
        [
            x_wanted.then(|| <Self as ModuleOps<Self>>::linear_x_backward(weight, grad.clone())),
            weight_wanted
                .then(|| <Self as ModuleOps<Self>>::linear_weight_backward(x, grad.clone())),
            bias_wanted.then(|| <Self as ModuleOps<Self>>::linear_bias_backward(grad)),
        ]
    }

    /// A 3x3 convolution with stride 1 and padding 1 on channel-major activations, lowered to
    /// im2col and one matrix product, with what its backward needs.
    ///
    /// # Shapes
    ///
    /// - input: `[C, N, H, W]`; weight: `[C_out, C, 3, 3]`; bias: `[C_out]`
    /// - output: `[C_out, N, H, W]`
    fn conv_3x3(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, ConvState) {
        let device = Self::float_device(&input);
        let (data, dims) = read::<Self, 4>(input);
        let (weight, [out_channels, ..]) = read::<Self, 4>(weight);
        let (bias, _) = read::<Self, 1>(bias);
        let shape = ConvShape {
            input: Planes::from_dims(dims),
            out_channels,
        };
        let weight = values(&weight).to_vec();
        let (out, input) = if winograd::pays(shape.input.channels) {
            let out = winograd::conv_3x3(
                values(&data),
                &weight,
                Some(values(&bias)),
                shape.input,
                out_channels,
            );
            (out, ConvInput::Planes(data))
        } else {
            let cols = host::im2col_3x3(values(&data), shape.input);
            let out = host::conv_3x3(&cols, &weight, values(&bias), shape);
            (out, ConvInput::Columns(cols))
        };
        let state = ConvState {
            saved: Arc::new(ConvSaved {
                input,
                weight,
                shape,
            }),
        };
        let [_, n, h, w] = dims;
        (
            write::<Self, 4>(out, [out_channels, n, h, w], &device),
            state,
        )
    }

    /// The gradients of [`conv_3x3`](Self::conv_3x3)'s input (when `input_grad`: an image
    /// batch needs none), weight and bias from the gradient of its output.
    fn conv_3x3_backward(
        grad: FloatTensor<Self>,
        state: &ConvState,
        input_grad: bool,
    ) -> (
        Option<FloatTensor<Self>>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = Self::float_device(&grad);
        let (grad, _) = read::<Self, 4>(grad);
        let saved = &state.saved;
        let shape = saved.shape;
        let source = match &saved.input {
            ConvInput::Columns(cols) => ConvSource::Columns(cols),
            ConvInput::Planes(input) => ConvSource::Planes(values(input)),
        };
        let (input, weight, bias) =
            host::conv_3x3_backward(values(&grad), source, &saved.weight, shape, input_grad);
        let input_dims = [
            shape.input.channels,
            shape.input.images,
            shape.input.height,
            shape.input.width,
        ];
        let weight_dims = [shape.out_channels, shape.input.channels, 3, 3];
        (
            input.map(|input| write::<Self, 4>(input, input_dims, &device)),
            write::<Self, 4>(weight, weight_dims, &device),
            write::<Self, 1>(bias, [shape.out_channels], &device),
        )
    }

    /// `relu(max_pool_2x2(x * scale + shift))`, the affine map per channel (batch norm with
    /// fixed statistics, as in evaluation), stride 2, output size rounded down. Not
    /// differentiated.
    ///
    /// # Shapes
    ///
    /// - input: `[C, N, H, W]`; scale, shift: `[C]`
    /// - output: `[C, N, H / 2, W / 2]`, or `[N, C, H / 2, W / 2]` when `image_major`
    fn affine_relu_max_pool_2x2(
        input: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        image_major: bool,
    ) -> FloatTensor<Self> {
        let device = Self::float_device(&input);
        let (data, dims) = read::<Self, 4>(input);
        let (scale, _) = read::<Self, 1>(scale);
        let (shift, _) = read::<Self, 1>(shift);
        let affine = Affine {
            scale: values(&scale),
            shift: values(&shift),
        };
        let layout = pooled_layout(image_major);
        let (out, _) =
            host::affine_relu_max_pool_2x2(values(&data), Planes::from_dims(dims), affine, layout);
        write::<Self, 4>(out, layout.pooled_dims(dims), &device)
    }

    /// `relu(max_pool_2x2(batch_norm(x)))` with the batch's statistics (training), stride 2,
    /// output size rounded down, with what its backward needs.
    ///
    /// # Shapes
    ///
    /// - input: `[C, N, H, W]`; gamma, beta: `[C]`
    /// - output: `[C, N, H / 2, W / 2]`, or `[N, C, H / 2, W / 2]` when `image_major`
    fn batch_norm_relu_max_pool_2x2(
        input: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        image_major: bool,
    ) -> (FloatTensor<Self>, BatchNormPoolState) {
        let device = Self::float_device(&input);
        let (data, dims) = read::<Self, 4>(input);
        let (gamma, _) = read::<Self, 1>(gamma);
        let (beta, _) = read::<Self, 1>(beta);
        let (gamma, beta) = (values(&gamma).to_vec(), values(&beta));
        let shape = Planes::from_dims(dims);
        let (mean, variance) = host::channel_statistics(values(&data), shape);
        let inv_std: Vec<f32> = variance
            .iter()
            .map(|v| 1.0 / (f64::from(*v) + epsilon).sqrt() as f32)
            .collect();
        let scale: Vec<f32> = gamma.iter().zip(&inv_std).map(|(g, s)| g * s).collect();
        let shift: Vec<f32> = (0..dims[0]).map(|c| beta[c] - mean[c] * scale[c]).collect();
        let affine = Affine {
            scale: &scale,
            shift: &shift,
        };
        let layout = pooled_layout(image_major);
        let (out, taps) = host::affine_relu_max_pool_2x2(values(&data), shape, affine, layout);
        let state = BatchNormPoolState {
            saved: Arc::new(Saved {
                input: data,
                dims,
                layout,
                taps,
                mean,
                variance,
                inv_std,
                gamma,
            }),
        };
        (
            write::<Self, 4>(out, layout.pooled_dims(dims), &device),
            state,
        )
    }

    /// The gradients of [`batch_norm_relu_max_pool_2x2`](Self::batch_norm_relu_max_pool_2x2)'s
    /// input, gamma and beta from the gradient of its output.
    fn batch_norm_relu_max_pool_2x2_backward(
        grad: FloatTensor<Self>,
        state: &BatchNormPoolState,
    ) -> [FloatTensor<Self>; 3] {
        let device = Self::float_device(&grad);
        let (data, _) = read::<Self, 4>(grad);
        let saved = &state.saved;
        let inputs = NormPoolInputs {
            input: values(&saved.input),
            shape: Planes::from_dims(saved.dims),
            layout: saved.layout,
            taps: &saved.taps,
            mean: &saved.mean,
            inv_std: &saved.inv_std,
            gamma: &saved.gamma,
        };
        let (dx, dgamma, dbeta) =
            host::batch_norm_relu_max_pool_2x2_backward(values(&data), &inputs);
        let channels = [saved.dims[0]];
        [
            write::<Self, 4>(dx, saved.dims, &device),
            write::<Self, 1>(dgamma, channels, &device),
            write::<Self, 1>(dbeta, channels, &device),
        ]
    }
}

fn pooled_layout(image_major: bool) -> PooledLayout {
    if image_major {
        PooledLayout::ImageMajor
    } else {
        PooledLayout::ChannelMajor
    }
}

/// The values of a float tensor on the host, as `f32`, with its dimensions. No copy on the CPU
/// backends when the tensor is contiguous and not shared (read them with [`values`]).
fn read<B: Backend, const D: usize>(tensor: FloatTensor<B>) -> (TensorData, [usize; D]) {
    let tensor = Tensor::<B, D>::from_primitive(TensorPrimitive::Float(tensor));
    let dims = tensor.dims();
    let data = tensor.into_data();
    let data = if data.dtype == DType::F32 {
        data
    } else {
        data.convert::<f32>()
    };
    (data, dims)
}

/// The `f32` values [`read`] returned.
fn values(data: &TensorData) -> &[f32] {
    data.as_slice::<f32>().expect("read converts to f32")
}

/// `values` as a float tensor of `dims` on `device`.
fn write<B: Backend, const D: usize>(
    values: Vec<f32>,
    dims: [usize; D],
    device: &B::Device,
) -> FloatTensor<B> {
    Tensor::<B, D>::from_data(TensorData::new(values, dims), device)
        .into_primitive()
        .tensor()
}

#[cfg(feature = "ndarray")]
impl<E, I, Q> LoweringBackend for burn::backend::NdArray<E, I, Q>
where
    burn::backend::ndarray::NdArrayTensor:
        From<burn::backend::ndarray::SharedArray<E>> + From<burn::backend::ndarray::SharedArray<I>>,
    Self: Backend,
{
}

/// The dense layer as one `gemm` call on flex's storage (the module `lowering::flex`); Burn's
/// own ops for what that does not cover (other element types, negative strides).
#[cfg(feature = "flex")]
impl<E, I> LoweringBackend for burn::backend::Flex<E, I>
where
    Self: Backend<FloatTensorPrimitive = burn::backend::flex::FlexTensor>,
{
    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::flex::dense(&x, &weight, &bias)
            .unwrap_or_else(|| <Self as ModuleOps<Self>>::linear(x, weight, Some(bias)))
    }

    fn dense_backward(
        grad: FloatTensor<Self>,
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        [x_wanted, weight_wanted, bias_wanted]: [bool; 3],
    ) -> [Option<FloatTensor<Self>>; 3] {
        let x_grad = x_wanted.then(|| {
            super::flex::dense_x_backward(&weight, &grad).unwrap_or_else(|| {
                <Self as ModuleOps<Self>>::linear_x_backward(weight, grad.clone())
            })
        });
        let weight_grad = weight_wanted.then(|| {
            super::flex::dense_weight_backward(&x, &grad).unwrap_or_else(|| {
                <Self as ModuleOps<Self>>::linear_weight_backward(x, grad.clone())
            })
        });
        let bias_grad = bias_wanted.then(|| <Self as ModuleOps<Self>>::linear_bias_backward(grad));
        [x_grad, weight_grad, bias_grad]
    }
}

/// CUDA with f32 floats, the element type shiftkit trains in.
#[cfg(feature = "cuda")]
impl LoweringBackend for burn::backend::Cuda<f32, i32> {}

/// wgpu with f32 floats, the element type shiftkit trains in.
#[cfg(feature = "wgpu")]
impl LoweringBackend for burn::backend::Wgpu<f32, i32> {}
