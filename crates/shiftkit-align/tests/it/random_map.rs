//! CDAN's randomized map: its matrices are the documented SplitMix64 and Box-Muller draws of
//! its seed, and each row is `(f R_f) ⊙ (g R_g) / sqrt(d_r)`.

use crate::common::{Inner, assert_close, matrix, to_vec};
use shiftkit_align::RandomizedMap;

/// SplitMix64 (Steele, Lea and Flood) written out: the stream of `seed`.
fn splitmix(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `rows x r` standard normal draws of stream `stream` of `seed`, by Box-Muller, in f32.
fn normals(rows: usize, r: usize, seed: u64, stream: u64) -> Vec<f64> {
    let mut next = splitmix(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut uniform = || ((next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    (0..rows * r)
        .map(|_| {
            let (u, v) = (uniform(), uniform());
            f64::from(((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32)
        })
        .collect()
}

#[test]
fn the_randomized_map_multiplies_the_seeded_projections() {
    let (d, k, r, seed) = (3, 2, 4, 17);
    let r_f = normals(d, r, seed, 1);
    let r_g = normals(k, r, seed, 2);
    let map = RandomizedMap::<Inner>::new(d, k, r, seed, &Default::default());
    // Row (i, j): features e_i and predictions e_j pick row i of R_f and row j of R_g.
    let (mut f, mut g, mut expected) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..d {
        for j in 0..k {
            f.extend((0..d).map(|c| f64::from(u8::from(c == i))));
            g.extend((0..k).map(|c| f64::from(u8::from(c == j))));
            expected.extend((0..r).map(|c| r_f[i * r + c] * r_g[j * r + c] / 2.0));
        }
    }
    let n = d * k;
    let got = to_vec(map.forward(matrix(&f, n, d), matrix(&g, n, k)));
    assert_close(&got, &expected, 1e-12, "randomized map");
    // Draws from another seed differ.
    let other = RandomizedMap::<Inner>::new(d, k, r, seed + 1, &Default::default());
    let moved = to_vec(other.forward(matrix(&f, n, d), matrix(&g, n, k)));
    assert!(moved.iter().zip(&got).any(|(a, b)| a != b));
}
