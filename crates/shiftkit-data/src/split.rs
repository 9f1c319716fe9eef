//! Seeded, stratified train/test splits, and seeded shards for data-parallel training.
//!
//! A small target set (1,797 digits, about 180 a class) split at random can leave a class
//! noticeably under- or over-represented in a 20 % test set. A stratified split draws the test
//! set class by class so that every class keeps its share.

use std::collections::BTreeMap;

use crate::error::DataError;
use crate::rng::{GOLDEN_GAMMA, SplitMix64, mix64};

/// Splits the positions of `labels` into a training and a test set holding
/// `round(test_fraction * len)` examples, each class in proportion.
///
/// See [`stratified_split_count`] for how the test examples are chosen. Both index lists are
/// sorted ascending; together they hold every position once.
///
/// # Errors
///
/// [`DataError::InvalidTestFraction`] when `test_fraction` is NaN or outside `[0, 1]`.
pub fn stratified_split(
    labels: &[u8],
    test_fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    if !(0.0..=1.0).contains(&test_fraction) {
        return Err(DataError::InvalidTestFraction(test_fraction));
    }
    let n_test = (test_fraction * labels.len() as f64).round() as usize;
    stratified_split_count(labels, n_test.min(labels.len()), seed)
}

/// Splits the positions of `labels` into a training set and a test set of exactly `n_test`
/// examples, each class in proportion.
///
/// Class `k`, with `n_k` of the `n` examples, gets `n_test * n_k / n` test examples rounded
/// down; the examples still missing go one each to the classes with the largest remainders
/// (ties to the smaller label), so each class's test count is its exact share rounded down
/// or up. Which examples of a class go to the test set is drawn with a generator seeded by
/// `seed`: the same labels and seed give the same split on every platform. Both index lists
/// are sorted ascending; together they hold every position once.
///
/// # Errors
///
/// [`DataError::TestCountTooLarge`] when `n_test > labels.len()`.
pub fn stratified_split_count(
    labels: &[u8],
    n_test: usize,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    let n = labels.len();
    if n_test > n {
        return Err(DataError::TestCountTooLarge { n_test, len: n });
    }
    let mut classes: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
    for (index, &label) in labels.iter().enumerate() {
        classes.entry(label).or_default().push(index);
    }

    // Largest-remainder apportionment of n_test over the classes (exact integer arithmetic).
    let shares: Vec<(u128, u128)> = classes
        .values()
        .map(|members| {
            let exact = n_test as u128 * members.len() as u128;
            (exact / n as u128, exact % n as u128)
        })
        .collect();
    let mut quotas: Vec<usize> = shares.iter().map(|&(floor, _)| floor as usize).collect();
    let missing = n_test - quotas.iter().sum::<usize>();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|&a, &b| shares[b].1.cmp(&shares[a].1).then(a.cmp(&b)));
    for &class in by_remainder.iter().take(missing) {
        quotas[class] += 1;
    }

    let mut rng = SplitMix64::new(seed);
    let mut train = Vec::with_capacity(n - n_test);
    let mut test = Vec::with_capacity(n_test);
    for (mut members, quota) in classes.into_values().zip(quotas) {
        rng.shuffle(&mut members);
        test.extend_from_slice(&members[..quota]);
        train.extend_from_slice(&members[quota..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok((train, test))
}

/// The positions that shard `rank` of `shards` holds of `len` examples, for data-parallel
/// training: positions `rank, rank + shards, ...` of a permutation drawn from `seed`, as many
/// for every shard (the remainder of `len / shards` left out, so that every peer takes as many
/// steps). Every shard of one seed draws the same permutation, so the shards are disjoint.
///
/// # Errors
///
/// [`DataError::InvalidShard`] when `shards` is 0 or `rank` is not below it.
pub fn shard_indices(
    len: usize,
    rank: usize,
    shards: usize,
    seed: u64,
) -> Result<Vec<usize>, DataError> {
    if rank >= shards {
        return Err(DataError::InvalidShard { rank, shards });
    }
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by_key(|&i| mix64(seed ^ (i as u64).wrapping_mul(GOLDEN_GAMMA)));
    let rows = len / shards * shards;
    Ok(order[..rows]
        .iter()
        .skip(rank)
        .step_by(shards)
        .copied()
        .collect())
}
