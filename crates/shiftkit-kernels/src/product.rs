//! Matrix products on host slices, written straight into a buffer the caller owns.
//!
//! The one place in the workspace with `unsafe` code: a call of the `gemm` crate (the kernels
//! Burn's flex backend uses), behind safe functions that check every extent first, and an
//! output buffer the kernel fills without a zero fill first. Going through a backend's
//! `matmul` instead costs a fresh output tensor per product, which flex zero-fills and then
//! copies once more to align it (its share of a CNN step: docs/performance.md).

/// Where a product runs: on the calling thread, or split over Burn's thread pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// On the calling thread.
    Caller,
    /// Over the rayon pool the caller is in (the global one from a plain thread), as Burn's flex
    /// backend runs its large products.
    Pool,
}

/// A read-only strided matrix view of a slice: element `(i, j)` is
/// `data[i * row_stride + j * col_stride]`.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a> {
    /// The slice the matrix lives in.
    pub data: &'a [f32],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Elements from one row to the next.
    pub row_stride: usize,
    /// Elements from one column to the next.
    pub col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows x cols` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, as a view of the same slice.
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Whether every element of the view lies inside the slice and both strides fit in an
    /// `isize`.
    pub fn fits(&self) -> bool {
        let inside = self.rows == 0
            || self.cols == 0
            || (self.rows - 1)
                .checked_mul(self.row_stride)
                .and_then(|r| {
                    (self.cols - 1)
                        .checked_mul(self.col_stride)
                        .and_then(|c| r.checked_add(c))
                })
                .is_some_and(|last| last < self.data.len());
        inside
            && isize::try_from(self.row_stride).is_ok()
            && isize::try_from(self.col_stride).is_ok()
    }

    /// Panics unless the view [`fits`](Self::fits) its slice.
    fn check(&self) {
        assert!(self.fits(), "matrix view outside its slice");
    }
}

/// `dst = lhs x rhs` (or `dst += lhs x rhs` when `accumulate`), `dst` row-major
/// `lhs.rows x rhs.cols`, on the calling thread.
///
/// # Panics
///
/// When the shapes do not chain, `dst` has the wrong length, or a view leaves its slice.
pub fn matmul(dst: &mut [f32], lhs: MatRef<'_>, rhs: MatRef<'_>, accumulate: bool) {
    let [m, k, n] = checked_dims(lhs, rhs);
    assert_eq!(Some(dst.len()), m.checked_mul(n), "output length");
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    // SAFETY: `dst` is a live, exclusively borrowed, initialised buffer of `m * n` elements
    // (length checked), so it cannot alias `lhs` or `rhs`, and the kernel may read it when
    // `accumulate`; `k > 0`.
    #[allow(unsafe_code)]
    unsafe {
        kernel(
            dst.as_mut_ptr(),
            lhs,
            rhs,
            [m, k, n],
            Orientation::RowMajor,
            accumulate,
            Threads::Caller,
        );
    }
}

/// `lhs x rhs` in a new row-major buffer, written once by the kernel (no zero fill first:
/// these buffers are megabytes).
///
/// # Panics
///
/// As [`matmul`].
pub fn product(lhs: MatRef<'_>, rhs: MatRef<'_>) -> Vec<f32> {
    product_on(lhs, rhs, Threads::Caller)
}

/// [`product`] on `threads`.
///
/// `gemm` computes a row-major result as the transposed product, reading `rhs` as its left
/// operand, and first copies a left operand whose rows are not contiguous element by element.
/// When that copy is the larger one (a weight gradient: both operands `[channels, pixels]`,
/// `rhs` the wider), the product is computed column-major instead, copying `lhs`, and
/// transposed into place (`Orientation`). Each element is the same sum in the same order
/// either way: `gemm` blocks the inner dimension by `k` alone. (Copying the strided operand
/// tile by tile before `gemm` was tried: slower, `gemm` still packs it again.)
pub fn product_on(lhs: MatRef<'_>, rhs: MatRef<'_>, threads: Threads) -> Vec<f32> {
    let [m, k, n] = checked_dims(lhs, rhs);
    let len = m.checked_mul(n).expect("output length overflows");
    if k == 0 {
        return vec![0.0; len];
    }
    let orientation = Orientation::choose(lhs, rhs, [m, k, n]);
    let mut out = Vec::<f32>::with_capacity(len);
    // SAFETY: `out` owns an allocation of at least `len` elements that nothing else can reach;
    // no reference to its uninitialised part is formed, and with `accumulate = false` the
    // kernel writes every element of the `m x n` product (`k > 0`) without reading any.
    #[allow(unsafe_code)]
    unsafe {
        kernel(
            out.as_mut_ptr(),
            lhs,
            rhs,
            [m, k, n],
            orientation,
            false,
            threads,
        );
    }
    // SAFETY: the first `len` elements were all written just above.
    #[allow(unsafe_code)]
    unsafe {
        out.set_len(len);
    }
    match orientation {
        Orientation::RowMajor => out,
        // Column-major `m x n` is row-major `n x m`.
        Orientation::ColumnMajor => transposed(&out, n, m),
    }
}

/// How [`kernel`] lays out the product it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orientation {
    RowMajor,
    ColumnMajor,
}

impl Orientation {
    /// Column-major when the element-wise copy `gemm` makes of a left operand with
    /// non-contiguous rows (`rhs`'s `n x k` row-major, `lhs`'s `m x k` column-major) plus the
    /// transpose afterwards (`m x n`) move fewer elements.
    fn choose(lhs: MatRef<'_>, rhs: MatRef<'_>, [m, k, n]: [usize; 3]) -> Self {
        let strided = |stride: usize, rows: usize| if stride == 1 { 0 } else { rows * k };
        let row_major = strided(rhs.col_stride, n);
        let column_major = strided(lhs.row_stride, m) + m * n;
        if column_major < row_major {
            Self::ColumnMajor
        } else {
            Self::RowMajor
        }
    }
}

/// The transpose of the row-major `rows x cols` matrix `values`, row-major, in square tiles so
/// that the scattered writes stay in cache.
fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    const TILE: usize = 32;
    debug_assert_eq!(values.len(), rows * cols);
    let mut out = vec![0.0; values.len()];
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    out[c * rows + r] = values[r * cols + c];
                }
            }
        }
    }
    out
}

/// `[m, k, n]` of the product `lhs x rhs` after checking that the shapes chain, every view lies
/// inside its slice, and every stride and `n` fit in an `isize`.
fn checked_dims(lhs: MatRef<'_>, rhs: MatRef<'_>) -> [usize; 3] {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    lhs.check();
    rhs.check();
    assert!(isize::try_from(n).is_ok());
    [m, k, n]
}

/// The `gemm` call: `dst = lhs x rhs`, or `dst += lhs x rhs` when `accumulate`, `dst` laid out
/// as `orientation` says.
///
/// # Safety
///
/// `[m, k, n]` come from [`checked_dims`] of these views, `k > 0`; `dst` is valid for writes
/// of `m * n` elements (and initialised when `accumulate`) and aliases neither view. Every
/// element `gemm` reads from `lhs` and `rhs` then lies inside its slice and every stride fits
/// in an `isize`. On the pool, `gemm` waits for every task it spawns: no thread outlives the
/// call.
#[allow(unsafe_code)]
unsafe fn kernel(
    dst: *mut f32,
    lhs: MatRef<'_>,
    rhs: MatRef<'_>,
    [m, k, n]: [usize; 3],
    orientation: Orientation,
    accumulate: bool,
    threads: Threads,
) {
    if m == 0 || n == 0 {
        return;
    }
    let stride = |s: usize| s as isize;
    let (dst_col_stride, dst_row_stride) = match orientation {
        Orientation::RowMajor => (1, stride(n)),
        Orientation::ColumnMajor => (stride(m), 1),
    };
    // SAFETY: the caller's contract above.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            dst_col_stride,
            dst_row_stride,
            accumulate,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            1.0,
            1.0,
            false,
            false,
            false,
            match threads {
                Threads::Caller => gemm::Parallelism::None,
                // 0: every thread of the pool, as flex asks.
                Threads::Pool => gemm::Parallelism::Rayon(0),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{MatRef, matmul};

    /// The product by its definition, in f64.
    fn reference(lhs: MatRef<'_>, rhs: MatRef<'_>) -> Vec<f32> {
        let at = |m: &MatRef<'_>, i: usize, j: usize| {
            f64::from(m.data[i * m.row_stride + j * m.col_stride])
        };
        let mut out = Vec::new();
        for i in 0..lhs.rows {
            for j in 0..rhs.cols {
                out.push(
                    (0..lhs.cols)
                        .map(|p| at(&lhs, i, p) * at(&rhs, p, j))
                        .sum::<f64>() as f32,
                );
            }
        }
        out
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn products_and_transposed_views_match_the_definition() {
        // `product` computes the last two column-major in the third case (a wide `rhs` with
        // strided rows, as a weight gradient's), which must give `matmul`'s values bit for bit.
        for (m, k, n) in [
            (1, 1, 1),
            (3, 5, 7),
            (17, 9, 33),
            (64, 40, 3),
            (2, 0, 3),
            (4, 300, 40),
            (64, 1200, 288),
        ] {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let at = values(k * m, 3);
            let bt = values(n * k, 4);
            let cases = [
                (MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n)),
                (
                    MatRef::row_major(&at, k, m).t(),
                    MatRef::row_major(&b, k, n),
                ),
                (
                    MatRef::row_major(&a, m, k),
                    MatRef::row_major(&bt, n, k).t(),
                ),
            ];
            for (lhs, rhs) in cases {
                let expected = reference(lhs, rhs);
                // f32 sums drift from the f64 reference with the length of the sum.
                let tolerance = 1e-5 * (k as f32 / 100.0).max(1.0);
                let mut out = vec![f32::NAN; m * n];
                matmul(&mut out, lhs, rhs, false);
                for (u, v) in out.iter().zip(&expected) {
                    assert!(
                        (u - v).abs() <= tolerance * v.abs().max(1.0),
                        "{m}x{k}x{n}: {u} vs {v}"
                    );
                }
                let fresh = super::product(lhs, rhs);
                assert_eq!(fresh, out, "product and matmul agree: {m}x{k}x{n}");
                let pooled = super::product_on(lhs, rhs, super::Threads::Pool);
                assert_eq!(pooled, out, "the pool changes no value");
                // Accumulating adds the product to what is there.
                let mut acc = vec![1.5; m * n];
                matmul(&mut acc, lhs, rhs, true);
                for (u, v) in acc.iter().zip(&expected) {
                    assert!((u - (v + 1.5)).abs() <= tolerance * v.abs().max(1.0));
                }
            }
        }
    }

    /// A 2x2 product of a 2x3 view of `a` and a `b_shape` view of `b`.
    fn product_2x2(a: &[f32], b: &[f32], b_shape: (usize, usize)) {
        let mut out = [0.0; 4];
        let (rows, cols) = b_shape;
        matmul(
            &mut out,
            MatRef::row_major(a, 2, 3),
            MatRef::row_major(b, rows, cols),
            false,
        );
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn mismatched_shapes_panic() {
        let a = [0.0; 6];
        product_2x2(&a, &a, (2, 3));
    }

    #[test]
    #[should_panic(expected = "outside its slice")]
    fn a_view_past_its_slice_panics() {
        product_2x2(&[0.0; 5], &[0.0; 6], (3, 2));
    }
}
