//! Adam's update with decoupled weight decay, fused into one pass over host slices.

/// Gradient entries below this magnitude count as zero in the fused update, and moments below
/// [`TINY_MOMENT`] are flushed to zero, so that no intermediate value of the update is a
/// subnormal number: the CPU handles those through a slow path tens of times slower, and a unit
/// whose gradient has stopped (a dead ReLU) would otherwise decay its moments into that range
/// and stay there, costing on every later step. The change to the update is negligible: with
/// `epsilon = 1e-8`, a gradient of `1e-15` moves its parameter by less than `1e-7 * lr`.
pub const TINY_GRADIENT: f32 = 1e-15;
/// See [`TINY_GRADIENT`].
pub const TINY_MOMENT: f32 = 1e-30;

/// The scalars of one Adam step, in f32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// The first moment's decay, `b1`.
    pub beta_1: f32,
    /// The second moment's decay, `b2`.
    pub beta_2: f32,
    /// `lr / (1 - b1^t)`.
    pub step_size: f32,
    /// `1 / sqrt(1 - b2^t)`.
    pub inv_correction: f32,
    /// Added to the denominator.
    pub epsilon: f32,
    /// `1 - lr * weight_decay`.
    pub decay: f32,
}

/// One Adam step of the parameters `p` with gradient `g` and moments `m` and `v`, all of one
/// length, updated in place:
///
/// ```text
/// m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
/// p = p decay - step_size * m / (sqrt(v) * inv_correction + epsilon)
/// ```
///
/// with [`TINY_GRADIENT`] and [`TINY_MOMENT`] flushed to zero. Compiled for the widest vector
/// instructions the processor has (AVX-512 or AVX2, chosen at run time): every operation is
/// exact per lane, so the update is the same bit for bit at any width.
///
/// # Panics
///
/// When the four slices differ in length.
// Inlinable so that it is compiled with the program that trains: a test build compiles the
// caller's crate unoptimised, where the loop took half of a dev-profile training run.
#[inline]
pub fn adam_update(step: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    assert!(
        g.len() == p.len() && m.len() == p.len() && v.len() == p.len(),
        "Adam's slices differ in length"
    );
    let AdamStep {
        beta_1: b1,
        beta_2: b2,
        step_size,
        inv_correction,
        epsilon: eps,
        decay,
    } = *step;
    let (c1, c2) = (1.0 - b1, 1.0 - b2);
    // The division bounds the loop: the divider is no faster per element on wide lanes.
    crate::planes::wide(
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_update_is_adamw_and_flushes_tiny_values() {
        // Lengths past every vector width, so that the loop's vector body and tail both run.
        let n = 37;
        let grads: Vec<Vec<f32>> = (0..3)
            .map(|s| {
                (0..n)
                    .map(|i| ((i * 7 + s * 3) % 11) as f32 * 0.3 - 1.5)
                    .collect()
            })
            .collect();
        let start: Vec<f32> = (0..n).map(|i| i as f32 * 0.05 - 0.9).collect();
        let (lr, eps, wd) = (0.01, 1e-3, 0.1);
        let (mut p, mut m, mut v) = (start.clone(), vec![0.0; n], vec![0.0; n]);
        for (t, g) in grads.iter().enumerate() {
            let t = t as i32 + 1;
            let step = AdamStep {
                beta_1: 0.9,
                beta_2: 0.999,
                step_size: (lr / (1.0 - 0.9_f64.powi(t))) as f32,
                inv_correction: (1.0 / (1.0 - 0.999_f64.powi(t)).sqrt()) as f32,
                epsilon: eps as f32,
                decay: (1.0 - lr * wd) as f32,
            };
            adam_update(&step, &mut p, g, &mut m, &mut v);
        }
        for k in 0..n {
            let g: Vec<f64> = grads.iter().map(|g| f64::from(g[k])).collect();
            let expected = reference(f64::from(start[k]), &g, lr, eps, wd);
            assert!(
                (f64::from(p[k]) - expected).abs() < 1e-6,
                "{k}: {} vs {expected}",
                p[k]
            );
        }
        // A gradient below TINY_GRADIENT is none: the moments stay 0 and only the decay acts.
        let (mut p, mut m, mut v) = (vec![1.0_f32; 3], vec![0.0; 3], vec![0.0; 3]);
        let step = AdamStep {
            beta_1: 0.9,
            beta_2: 0.999,
            step_size: 0.1,
            inv_correction: 1.0,
            epsilon: 1e-8,
            decay: 0.5,
        };
        adam_update(&step, &mut p, &[1e-16, -1e-16, 0.0], &mut m, &mut v);
        assert_eq!((p, m, v), (vec![0.5; 3], vec![0.0; 3], vec![0.0; 3]));
    }
}
