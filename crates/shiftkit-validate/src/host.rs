//! Moving small tensors to the host and checking them.

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::error::ValidateError;

/// The rows and columns of a matrix.
pub(crate) fn dims<B: Backend>(matrix: &Tensor<B, 2>) -> (usize, usize) {
    let [rows, columns] = matrix.dims();
    (rows, columns)
}

/// The values of a tensor, row-major, in `f64`.
pub(crate) fn values<B: Backend, const D: usize>(tensor: &Tensor<B, D>) -> Vec<f64> {
    tensor.to_data().iter::<f64>().collect()
}

/// Checks that `matrix` has at least one row and one column and only finite values.
pub(crate) fn check_matrix<B: Backend>(
    matrix: &Tensor<B, 2>,
    what: &'static str,
) -> Result<(usize, usize), ValidateError> {
    let (rows, columns) = dims(matrix);
    if rows == 0 || columns == 0 {
        return Err(ValidateError::Empty { what });
    }
    check_finite(&values(matrix), columns, what)?;
    Ok((rows, columns))
}

/// Checks source and target features: each as [`check_matrix`], and as wide as each other.
/// Returns the rows of each and the common width.
pub(crate) fn check_domains<B: Backend>(
    source: &Tensor<B, 2>,
    target: &Tensor<B, 2>,
) -> Result<(usize, usize, usize), ValidateError> {
    let (n_s, d) = check_matrix(source, "source features")?;
    let (n_t, d_t) = check_matrix(target, "target features")?;
    check_count(Axis::Columns, "target features", d, d_t)?;
    Ok((n_s, n_t, d))
}

/// The dimension of an input that a count is of.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Axis {
    Rows,
    Columns,
}

/// Checks that `what` has the `expected` number of rows or columns, as `axis` says:
/// [`ValidateError::RowMismatch`] or [`ValidateError::ColumnMismatch`] otherwise.
pub(crate) fn check_count(
    axis: Axis,
    what: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), ValidateError> {
    if found == expected {
        return Ok(());
    }
    Err(match axis {
        Axis::Rows => ValidateError::RowMismatch {
            what,
            expected,
            found,
        },
        Axis::Columns => ValidateError::ColumnMismatch {
            what,
            expected,
            found,
        },
    })
}

/// [`ValidateError::TooFewRows`] when `what` has fewer than `needed` rows.
pub(crate) fn check_enough_rows(
    what: &'static str,
    needed: usize,
    found: usize,
) -> Result<(), ValidateError> {
    if found >= needed {
        return Ok(());
    }
    Err(ValidateError::TooFewRows {
        what,
        needed,
        found,
    })
}

/// Checks that every value is finite; `columns` values a row.
pub(crate) fn check_finite(
    values: &[f64],
    columns: usize,
    what: &'static str,
) -> Result<(), ValidateError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(ValidateError::NonFinite {
            what,
            row: index / columns.max(1),
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// A `[rows, columns]` float tensor from row-major `f64` values.
pub(crate) fn matrix<B: Backend>(
    values: Vec<f64>,
    rows: usize,
    columns: usize,
    device: &B::Device,
) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(values, [rows, columns]), device)
}

/// The rows of `matrix` at `indices`.
pub(crate) fn rows<B: Backend>(matrix: &Tensor<B, 2>, indices: &[usize]) -> Tensor<B, 2> {
    let indices: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    let len = indices.len();
    let indices = Tensor::<B, 1, Int>::from_data(TensorData::new(indices, [len]), &matrix.device());
    matrix.clone().select(0, indices)
}

/// Positions `0..n` of the given parity (`0`: even, `1`: odd).
pub(crate) fn parity(n: usize, parity: usize) -> Vec<usize> {
    (parity..n).step_by(2).collect()
}
