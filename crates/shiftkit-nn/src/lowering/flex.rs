//! The dense layer on flex's own storage: the products flex's `linear` and its backward compute,
//! from the same views of the same values with the same choice of threads
//! ([`threads_as_flex`]), each written straight into a buffer of its own. The values are
//! flex's bit for bit, whichever way round [`product_on`] lays a product out.
//!
//! Flex runs each product into a fresh zero-filled byte buffer and then copies it once more to
//! align it; on the MLP, whose weight gradients are megabytes, that was 8% of a step
//! (docs/performance.md). Each function returns `None` where it does not apply (another element
//! type, another rank, a negative stride, shapes that do not chain): the caller then takes
//! Burn's own op, which gives the same values or Burn's error.

use burn::backend::flex::FlexTensor;
use burn::tensor::{DType, TensorData};

use shiftkit_kernels::product::{MatRef, Threads, product_on};

/// The `f32` matrix a rank-2 flex tensor holds, as a strided view of its storage.
/// The choice Burn's flex backend makes for an `m x k` by `k x n` product: the pool from
/// `192^3` multiply-adds on. A product here with the same views and the same choice gives the
/// values of flex's `matmul` bit for bit (`gemm` splits the output over threads, never a sum).
fn threads_as_flex(m: usize, k: usize, n: usize) -> Threads {
    const POOL_FROM: usize = 192 * 192 * 192;
    if m.saturating_mul(n).saturating_mul(k) >= POOL_FROM {
        Threads::Pool
    } else {
        Threads::Caller
    }
}

fn matrix(tensor: &FlexTensor) -> Option<MatRef<'_>> {
    if tensor.dtype() != DType::F32 {
        return None;
    }
    let layout = tensor.layout();
    let ([rows, cols], [row_stride, col_stride]) = (
        <[usize; 2]>::try_from(layout.shape().as_slice()).ok()?,
        <[isize; 2]>::try_from(layout.strides()).ok()?,
    );
    let data = tensor.storage::<f32>().get(layout.start_offset()..)?;
    let view = MatRef {
        data,
        rows,
        cols,
        row_stride: usize::try_from(row_stride).ok()?,
        col_stride: usize::try_from(col_stride).ok()?,
    };
    view.fits().then_some(view)
}

/// `lhs x rhs` as a new row-major flex tensor, on the threads flex would use.
fn product(lhs: MatRef<'_>, rhs: MatRef<'_>) -> Option<FlexTensor> {
    if lhs.cols != rhs.rows {
        return None;
    }
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    let values = product_on(lhs, rhs, threads_as_flex(m, k, n));
    Some(FlexTensor::from_data(TensorData::new(values, [m, n])))
}

/// `x W + b`: flex's `linear` (its product, then the bias added to each row).
pub(crate) fn dense(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> Option<FlexTensor> {
    let (x, weight, bias) = (matrix(x)?, matrix(weight)?, bias_values(bias)?);
    if bias.len() != weight.cols {
        return None;
    }
    let mut out = product(x, weight)?;
    let values = out.storage_mut::<f32>();
    if !bias.is_empty() {
        for row in values.chunks_exact_mut(bias.len()) {
            for (value, b) in row.iter_mut().zip(&bias) {
                *value += b;
            }
        }
    }
    Some(out)
}

/// The `f32` values of a rank-1 flex tensor (the bias) as a contiguous vector, whatever its
/// stride.
fn bias_values(bias: &FlexTensor) -> Option<Vec<f32>> {
    if bias.dtype() != DType::F32 {
        return None;
    }
    let layout = bias.layout();
    let [stride] = <[isize; 1]>::try_from(layout.strides()).ok()?;
    let stride = usize::try_from(stride).ok()?;
    let [len] = <[usize; 1]>::try_from(layout.shape().as_slice()).ok()?;
    let data = bias.storage::<f32>().get(layout.start_offset()..)?;
    (0..len).map(|i| data.get(i * stride).copied()).collect()
}

/// The gradient of `x`: `grad x W^T`, as flex's `linear_x_backward`.
pub(crate) fn dense_x_backward(weight: &FlexTensor, grad: &FlexTensor) -> Option<FlexTensor> {
    product(matrix(grad)?, matrix(weight)?.t())
}

/// The gradient of `W`: `x^T x grad`, as flex's `linear_weight_backward`.
pub(crate) fn dense_weight_backward(x: &FlexTensor, grad: &FlexTensor) -> Option<FlexTensor> {
    product(matrix(x)?.t(), matrix(grad)?)
}
