//! Stratified splits: partitions, class shares, seeds, and out-of-range arguments.

use std::collections::BTreeMap;

use proptest::prelude::*;
use shiftkit_data::{DataError, shard_indices, stratified_split, stratified_split_count};

fn counts(labels: &[u8], indices: &[usize]) -> BTreeMap<u8, usize> {
    let mut counts = BTreeMap::new();
    for &i in indices {
        *counts.entry(labels[i]).or_default() += 1;
    }
    counts
}

proptest! {
    #[test]
    fn a_split_is_a_stratified_partition(
        labels in prop::collection::vec(0u8..10, 0..400),
        fraction in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let (train, test) = stratified_split(&labels, fraction, seed).unwrap();
        let n = labels.len();
        prop_assert_eq!(test.len(), (fraction * n as f64).round() as usize);

        // Sorted, disjoint, and together every position once.
        prop_assert!(train.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(test.windows(2).all(|w| w[0] < w[1]));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n).collect::<Vec<_>>());

        // Each class's test count is its exact share rounded down or up.
        let total = counts(&labels, &(0..n).collect::<Vec<_>>());
        let in_test = counts(&labels, &test);
        for (class, &n_k) in &total {
            let exact = test.len() as f64 * n_k as f64 / n as f64;
            let got = *in_test.get(class).unwrap_or(&0) as f64;
            prop_assert!(got >= exact.floor() && got <= exact.ceil(), "class {}: {} vs {}", class, got, exact);
        }

        // The same seed gives the same split.
        prop_assert_eq!(stratified_split(&labels, fraction, seed).unwrap(), (train, test));
    }

    #[test]
    fn an_exact_count_is_honoured(
        labels in prop::collection::vec(0u8..4, 1..200),
        share in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let n_test = (share * labels.len() as f64) as usize;
        let (train, test) = stratified_split_count(&labels, n_test, seed).unwrap();
        prop_assert_eq!(test.len(), n_test);
        prop_assert_eq!(train.len() + test.len(), labels.len());
    }
}

#[test]
fn seeds_change_the_split_but_not_the_class_counts() {
    let labels: Vec<u8> = (0..1797).map(|i| (i % 10) as u8).collect();
    let (train_a, test_a) = stratified_split(&labels, 0.2, 1).unwrap();
    let (train_b, test_b) = stratified_split(&labels, 0.2, 2).unwrap();
    assert_ne!(test_a, test_b);
    assert_eq!(counts(&labels, &test_a), counts(&labels, &test_b));
    assert_eq!(counts(&labels, &train_a), counts(&labels, &train_b));
    assert_eq!(test_a.len(), 359);
}

#[test]
fn a_bad_fraction_or_count_is_an_error() {
    let labels = [0u8, 1, 0, 1];
    for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            stratified_split(&labels, bad, 0),
            Err(DataError::InvalidTestFraction(_))
        ));
    }
    assert!(matches!(
        stratified_split_count(&labels, 5, 0),
        Err(DataError::TestCountTooLarge { n_test: 5, len: 4 })
    ));
    assert_eq!(
        stratified_split(&[], 0.5, 0).unwrap(),
        (Vec::new(), Vec::new())
    );
}

proptest! {
    #[test]
    fn shards_are_equal_and_disjoint(
        len in 0usize..300,
        shards in 1usize..6,
        seed in any::<u64>(),
    ) {
        let all: Vec<Vec<usize>> = (0..shards)
            .map(|rank| shard_indices(len, rank, shards, seed).unwrap())
            .collect();
        let mut seen = vec![false; len];
        for shard in &all {
            prop_assert_eq!(shard.len(), len / shards);
            for &i in shard {
                prop_assert!(i < len && !seen[i], "position {} twice or out of range", i);
                seen[i] = true;
            }
        }
        // The same seed draws the same shard.
        prop_assert_eq!(&shard_indices(len, 0, shards, seed).unwrap(), &all[0]);
    }
}

#[test]
fn a_shard_outside_its_count_is_an_error() {
    for (rank, shards) in [(0, 0), (2, 2), (5, 3)] {
        let error = shard_indices(10, rank, shards, 0).unwrap_err();
        assert!(
            matches!(error, DataError::InvalidShard { rank: r, shards: s } if (r, s) == (rank, shards)),
            "{error:?}"
        );
    }
}
