//! The source's statistics, the standardisation of data in memory with them, and the split
//! of the source into training and held-out rows.

use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use shiftkit::data::{DataError, Label, SampleDataset};

use super::manifest::{Scope, Standardisation};
use super::read::Domain;
use super::{Failure, named};

/// The statistics of the source's values for `scope` (items of `shape`); a deviation below
/// 1e-6 (a constant feature) is taken as 1.
pub fn feature_stats(values: &[f32], shape: &[usize], scope: Scope) -> Standardisation {
    let item_len: usize = shape.iter().product();
    let (groups, group_of): (usize, Box<dyn Fn(usize) -> usize>) = match scope {
        Scope::Feature => (item_len, Box::new(|j| j)),
        Scope::Channel => {
            let channels = if shape.len() >= 3 { shape[0] } else { 1 };
            let plane = item_len / channels.max(1);
            (channels, Box::new(move |j| j / plane.max(1)))
        }
    };
    let mut sum = vec![0.0f64; groups];
    let mut sum_sq = vec![0.0f64; groups];
    let mut count = vec![0usize; groups];
    for item in values.chunks_exact(item_len.max(1)) {
        for (j, &v) in item.iter().enumerate() {
            let g = group_of(j);
            let v = f64::from(v);
            sum[g] += v;
            sum_sq[g] += v * v;
            count[g] += 1;
        }
    }
    let mut mean = Vec::with_capacity(groups);
    let mut std = Vec::with_capacity(groups);
    for g in 0..groups {
        let n = count[g].max(1) as f64;
        let m = sum[g] / n;
        let s = (sum_sq[g] / n - m * m).max(0.0).sqrt();
        mean.push(m as f32);
        std.push(if s < 1e-6 { 1.0 } else { s as f32 });
    }
    Standardisation { scope, mean, std }
}

/// `data` (in memory) standardised with `stats`; without its labels when `drop_labels`.
///
/// # Errors
///
/// Data not in memory, or statistics of another width.
pub fn standardised(
    domain: &Domain,
    data: &SampleDataset,
    stats: &Standardisation,
    drop_labels: bool,
) -> Result<SampleDataset, Failure> {
    let values = data
        .values()
        .ok_or_else(|| named(&domain.path, "not data in memory"))?;
    let shape = data.shape().to_vec();
    let item_len = data.item_len();
    let plane = match stats.scope {
        Scope::Feature => 1,
        Scope::Channel => item_len / stats.mean.len().max(1),
    };
    let groups = item_len / plane.max(1);
    if stats.scope == Scope::Feature && stats.mean.len() != item_len
        || stats.scope == Scope::Channel && groups != stats.mean.len()
    {
        return Err(named(
            &domain.path,
            format!(
                "items of {item_len} values do not fit a normalisation of {} {}s",
                stats.mean.len(),
                match stats.scope {
                    Scope::Feature => "feature",
                    Scope::Channel => "channel",
                }
            ),
        ));
    }
    let mut out = Vec::with_capacity(values.len());
    for item in values.chunks_exact(item_len) {
        for (j, &v) in item.iter().enumerate() {
            let g = j / plane;
            out.push((v - stats.mean[g]) / stats.std[g]);
        }
    }
    let (labels, names) = if drop_labels {
        (vec![Label::None; data.len()], None)
    } else {
        (
            data.labels().to_vec(),
            data.class_names().map(<[String]>::to_vec),
        )
    };
    SampleDataset::from_values(out, shape, labels, names).map_err(|e| named(&domain.path, e))
}

/// Splits the source into training rows and held-out rows: `fraction` of each class (rounded
/// down, one training row always kept), drawn with `seed`. With no row held out (tiny data),
/// the held-out set is the whole source and the flag says so.
///
/// # Errors
///
/// A subset out of range (never, for indices made here).
pub fn split_source(
    data: &SampleDataset,
    fraction: f64,
    seed: u64,
) -> Result<(SampleDataset, SampleDataset, bool), DataError> {
    let classes = data.num_classes().unwrap_or(1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes.max(1)];
    for (i, label) in data.labels().iter().enumerate() {
        let k = label
            .class()
            .map_or(0, |k| k as usize)
            .min(classes.max(1) - 1);
        by_class[k].push(i);
    }
    let mut stream = SplitMix64::seed_from_u64(seed ^ 0x5DEE_CE66_D1CE_5EED);
    let mut next = move || stream.next_u64();
    let mut train = Vec::new();
    let mut held = Vec::new();
    for mut rows in by_class {
        for i in (1..rows.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            rows.swap(i, j);
        }
        let n_held =
            ((rows.len() as f64 * fraction).floor() as usize).min(rows.len().saturating_sub(1));
        held.extend_from_slice(&rows[..n_held]);
        train.extend_from_slice(&rows[n_held..]);
    }
    train.sort_unstable();
    held.sort_unstable();
    if held.is_empty() {
        return Ok((data.clone(), data.clone(), true));
    }
    Ok((data.subset(&train)?, data.subset(&held)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardising_uses_the_sources_statistics() {
        let stats = feature_stats(&[1.0, 10.0, 3.0, 10.0], &[2], Scope::Feature);
        assert_eq!(stats.mean, [2.0, 10.0]);
        assert_eq!(stats.std, [1.0, 1.0]);
        let stats = feature_stats(&[0.0, 2.0, 4.0, 4.0], &[2, 1, 1], Scope::Channel);
        assert_eq!(stats.mean, [2.0, 3.0]);
        assert_eq!(stats.std, [2.0, 1.0]);
    }

    #[test]
    fn the_split_holds_out_a_share_of_each_class() {
        let labels: Vec<Label> = (0..40).map(|i| Label::Class((i % 2) as u32)).collect();
        let data =
            SampleDataset::from_values((0..40).map(|v| v as f32).collect(), vec![1], labels, None)
                .unwrap();
        let (train, held, overlap) = split_source(&data, 0.1, 3).unwrap();
        assert!(!overlap);
        assert_eq!((train.len(), held.len()), (36, 4));
        let held_classes: Vec<u32> = held.labels().iter().filter_map(|l| l.class()).collect();
        assert_eq!(held_classes.iter().filter(|&&k| k == 0).count(), 2);
        let tiny = data.subset(&[0, 1]).unwrap();
        let (_, _, overlap) = split_source(&tiny, 0.1, 3).unwrap();
        assert!(overlap);
    }
}
