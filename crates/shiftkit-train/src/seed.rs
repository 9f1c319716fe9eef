//! SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): its golden-ratio increment and mixing
//! function, for the seeds the trainer derives (each epoch's, CDAN's random map).

/// The golden-ratio increment of SplitMix64.
pub(crate) const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: 64 well-mixed bits from `z`.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The backend's seed for epoch `epoch` (1-based) of a run seeded with `seed`.
pub(crate) fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    mix64(seed ^ (epoch as u64).wrapping_mul(GOLDEN_GAMMA))
}
