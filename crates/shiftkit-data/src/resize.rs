//! Bilinear image resizing with PyTorch's `align_corners=False` convention.
//!
//! Output pixel `o` along an axis of `n_in` input and `n_out` output pixels samples the input
//! at `s = (o + 0.5) * n_in / n_out - 0.5`, clamped below at 0 (pixel centres aligned, as
//! `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`, the resize the
//! PyTorch reference uses). With `i = floor(s)` and `t = s - i` the value is
//! `(1 - t) * in[i] + t * in[min(i + 1, n_in - 1)]`, and the same along the other axis.

/// Where one output pixel samples along one axis: two input indices and the second's weight.
#[derive(Clone, Copy, Debug)]
struct Tap {
    low: usize,
    high: usize,
    weight_high: f32,
}

/// The taps of the `n_out` output pixels of an axis of `n_in` input pixels (`n_in >= 1`).
fn taps(n_in: usize, n_out: usize) -> Vec<Tap> {
    let scale = n_in as f32 / n_out as f32;
    (0..n_out)
        .map(|o| {
            let source = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
            let low = (source as usize).min(n_in - 1);
            Tap {
                low,
                high: (low + 1).min(n_in - 1),
                weight_high: source - low as f32,
            }
        })
        .collect()
}

/// `input` (`in_h x in_w`, row-major) resized bilinearly to `out_h x out_w`, row-major.
/// Returns an empty image when the input has no pixel.
pub(crate) fn bilinear(
    input: &[f32],
    in_h: usize,
    in_w: usize,
    out_h: usize,
    out_w: usize,
) -> Vec<f32> {
    if in_h == 0 || in_w == 0 || input.len() < in_h * in_w {
        return Vec::new();
    }
    let rows = taps(in_h, out_h);
    let cols = taps(in_w, out_w);
    let mut out = Vec::with_capacity(out_h * out_w);
    for row in &rows {
        let upper = &input[row.low * in_w..(row.low + 1) * in_w];
        let lower = &input[row.high * in_w..(row.high + 1) * in_w];
        for col in &cols {
            let top = (1.0 - col.weight_high) * upper[col.low] + col.weight_high * upper[col.high];
            let bottom =
                (1.0 - col.weight_high) * lower[col.low] + col.weight_high * lower[col.high];
            out.push((1.0 - row.weight_high) * top + row.weight_high * bottom);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bilinear;

    #[test]
    fn a_constant_image_stays_constant() {
        let out = bilinear(&[0.75; 64], 8, 8, 20, 20);
        assert_eq!(out.len(), 400);
        assert!(out.iter().all(|&v| (v - 0.75).abs() < 1e-6));
    }

    #[test]
    fn upsampling_a_ramp_matches_the_formula() {
        // One row 0, 1, ..., 7: output o samples s = 0.4 o - 0.3 (clamped at 0 and at 7).
        let input: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let out = bilinear(&input, 1, 8, 1, 20);
        for (o, &v) in out.iter().enumerate() {
            let expected = (0.4 * o as f32 - 0.3).clamp(0.0, 7.0);
            assert!((v - expected).abs() < 1e-5, "pixel {o}: {v} vs {expected}");
        }
    }

    #[test]
    fn same_size_is_the_identity() {
        let input: Vec<f32> = (0..12).map(|v| v as f32 * 0.1).collect();
        assert_eq!(bilinear(&input, 3, 4, 3, 4), input);
    }
}
