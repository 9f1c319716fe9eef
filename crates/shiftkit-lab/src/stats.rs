//! The few statistics the programs' tables need.

/// Mean and sample standard deviation (0 for fewer than two values; the mean of nothing is
/// NaN).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Ranks from 1, ties sharing the mean of their ranks.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share the ranks start+1..=end.
        let shared = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = shared;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation of two equally long samples: Pearson's correlation of their
/// ranks (ties averaged). `None` for fewer than two pairs, different lengths, a non-finite
/// value, or a constant sample.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 || a.iter().chain(b).any(|v| !v.is_finite()) {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let (ma, _) = mean_std(&ra);
    let (mb, _) = mean_std(&rb);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    if va == 0.0 || vb == 0.0 {
        return None;
    }
    Some(cov / (va * vb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::{mean_std, ranks, spearman};

    #[test]
    fn mean_and_sample_deviation() {
        assert_eq!(mean_std(&[2.0]), (2.0, 0.0));
        let (mean, std) = mean_std(&[1.0, 2.0, 3.0]);
        assert_eq!(mean, 2.0);
        assert!((std - 1.0).abs() < 1e-12);
        assert!(mean_std(&[]).0.is_nan());
    }

    #[test]
    fn ties_share_their_mean_rank() {
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 20.0]), vec![1.0, 4.0, 2.5, 2.5]);
    }

    #[test]
    fn spearman_of_monotone_and_reversed_samples() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let squares: Vec<f64> = a.iter().map(|v| v * v * v).collect();
        assert!((spearman(&a, &squares).unwrap() - 1.0).abs() < 1e-12);
        let reversed: Vec<f64> = a.iter().map(|v| -v).collect();
        assert!((spearman(&a, &reversed).unwrap() + 1.0).abs() < 1e-12);
        // 1 - 6 sum d^2 / (n (n^2 - 1)) without ties: d = (0, 0, 1, -1, 0) -> 1 - 12/120.
        let swapped = [1.0, 2.0, 4.0, 3.0, 5.0];
        assert!((spearman(&a, &swapped).unwrap() - 0.9).abs() < 1e-12);
        assert_eq!(spearman(&a, &[1.0; 5]), None);
        assert_eq!(spearman(&a[..1], &a[..1]), None);
    }
}
