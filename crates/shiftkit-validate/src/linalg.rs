//! Small dense linear algebra on the host: the leading eigenvectors of a symmetric matrix by
//! power iteration with deflation.

/// Stop when the unit vector moves by less than this between iterations.
const TOLERANCE: f64 = 1e-12;

/// The `count` leading eigenpairs `(value, unit vector)` of the symmetric positive
/// semi-definite `n x n` matrix `matrix` (row-major), largest first, each after at most
/// `max_iterations` steps of the power method.
///
/// Power iteration, deterministic: each search starts from the column of the (deflated)
/// matrix with the largest diagonal entry plus a small fixed tilt, and is kept orthogonal to
/// the vectors already found. Each vector's sign is fixed so that its entry of largest
/// magnitude is positive. An eigenvalue of 0 comes with a zero vector when the deflated
/// matrix vanishes.
///
/// The eigenvalue reported is `||M v||` for the last unit vector `v`, which is never below
/// the Rayleigh quotient `v . M v`: cut short, the method still gives a value close to the
/// largest eigenvalue, even when the vector has not settled between close eigenvalues.
pub(crate) fn leading_eigenpairs(
    matrix: &[f64],
    n: usize,
    count: usize,
    max_iterations: usize,
) -> Vec<(f64, Vec<f64>)> {
    let mut found: Vec<(f64, Vec<f64>)> = Vec::with_capacity(count);
    let mut deflated = matrix.to_vec();
    for _ in 0..count.min(n) {
        let pivot = (0..n)
            .max_by(|&a, &b| deflated[a * n + a].total_cmp(&deflated[b * n + b]))
            .unwrap_or(0);
        let mut vector: Vec<f64> = (0..n)
            .map(|i| deflated[i * n + pivot] + 1e-3 * (1.0 + i as f64 / n as f64))
            .collect();
        orthogonalise(&mut vector, &found);
        if normalise(&mut vector) == 0.0 {
            found.push((0.0, vec![0.0; n]));
            continue;
        }
        let mut value = 0.0;
        for _ in 0..max_iterations.max(1) {
            let mut next = multiply(&deflated, n, &vector);
            orthogonalise(&mut next, &found);
            value = normalise(&mut next);
            if value == 0.0 {
                vector = vec![0.0; n];
                break;
            }
            let moved = next
                .iter()
                .zip(&vector)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            vector = next;
            if moved < TOLERANCE {
                break;
            }
        }
        fix_sign(&mut vector);
        for i in 0..n {
            for j in 0..n {
                deflated[i * n + j] -= value * vector[i] * vector[j];
            }
        }
        found.push((value, vector));
    }
    found
}

/// `matrix * vector` for an `n x n` row-major matrix.
fn multiply(matrix: &[f64], n: usize, vector: &[f64]) -> Vec<f64> {
    matrix
        .chunks_exact(n)
        .map(|row| row.iter().zip(vector).map(|(a, b)| a * b).sum())
        .collect()
}

/// Removes from `vector` its components along the (unit) vectors of `found`.
fn orthogonalise(vector: &mut [f64], found: &[(f64, Vec<f64>)]) {
    for (_, unit) in found {
        let dot: f64 = vector.iter().zip(unit).map(|(a, b)| a * b).sum();
        for (v, u) in vector.iter_mut().zip(unit) {
            *v -= dot * u;
        }
    }
}

/// Scales `vector` to unit length and returns its former length (0 leaves it as it is).
fn normalise(vector: &mut [f64]) -> f64 {
    let norm = vector.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        vector.iter_mut().for_each(|v| *v /= norm);
        norm
    } else {
        0.0
    }
}

/// Flips `vector` so that its entry of largest magnitude is positive.
fn fix_sign(vector: &mut [f64]) {
    let largest = vector
        .iter()
        .copied()
        .max_by(|a, b| a.abs().total_cmp(&b.abs()))
        .unwrap_or(0.0);
    if largest < 0.0 {
        vector.iter_mut().for_each(|v| *v = -*v);
    }
}

#[cfg(test)]
mod tests {
    use super::leading_eigenpairs;

    #[test]
    fn finds_the_eigenpairs_of_a_known_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 along (1, 1) and 1 along (1, -1).
        let pairs = leading_eigenpairs(&[2.0, 1.0, 1.0, 2.0], 2, 2, 10_000);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((pairs[0].0 - 3.0).abs() < 1e-9);
        assert!((pairs[0].1[0] - h).abs() < 1e-6 && (pairs[0].1[1] - h).abs() < 1e-6);
        assert!((pairs[1].0 - 1.0).abs() < 1e-9);
        // Sign fixed: the entry of largest magnitude is positive (a tie: either).
        assert!((pairs[1].1[0].abs() - h).abs() < 1e-6);
        assert!((pairs[1].1[0] + pairs[1].1[1]).abs() < 1e-6);
    }

    #[test]
    fn a_zero_matrix_gives_zero_pairs() {
        let pairs = leading_eigenpairs(&[0.0; 9], 3, 2, 10_000);
        assert_eq!(pairs.len(), 2);
        assert!(
            pairs
                .iter()
                .all(|(value, vector)| *value == 0.0 && vector.iter().all(|v| *v == 0.0))
        );
    }
}
