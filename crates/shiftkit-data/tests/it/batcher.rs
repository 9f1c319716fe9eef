//! Batchers: shapes and values, through Burn's data loader too; data sets' own checks.

use crate::common;

use burn::backend::NdArray;
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::{Int, Tensor};
use common::mnist_test;
use shiftkit_data::{
    DataError, DigitBatcher, DigitDataset, DigitItem, DomainBatch, FlatDigitBatcher, PointBatcher,
    PointDataset, PointItem,
};

type B = NdArray<f32>;

fn floats<const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

fn ints(t: Tensor<B, 1, Int>) -> Vec<i64> {
    t.into_data().convert::<i64>().to_vec::<i64>().unwrap()
}

fn items(n: usize) -> Vec<DigitItem> {
    (0..n)
        .map(|i| DigitItem {
            pixels: (0..784).map(|p| (i * 784 + p) as f32 / 10_000.0).collect(),
            label: (i % 10) as u8,
        })
        .collect()
}

#[test]
fn digit_batches_are_images_in_item_order() {
    let batch: DomainBatch<B, 4> = DigitBatcher.batch(items(3), &Default::default());
    assert_eq!(batch.inputs.dims(), [3, 1, 28, 28]);
    assert_eq!(batch.len(), 3);
    let expected: Vec<f32> = items(3).into_iter().flat_map(|item| item.pixels).collect();
    assert_eq!(floats(batch.inputs.clone()), expected);
    // Pixel (row 2, column 5) of image 1 is flat position 1 * 784 + 2 * 28 + 5.
    let pixel = batch.inputs.slice([1..2, 0..1, 2..3, 5..6]);
    assert_eq!(floats(pixel), vec![(784 + 2 * 28 + 5) as f32 / 10_000.0]);
    assert_eq!(ints(batch.labels), vec![0, 1, 2]);
}

#[test]
fn flat_digit_batches_are_rows() {
    let batch: DomainBatch<B, 2> = FlatDigitBatcher.batch(items(4), &Default::default());
    assert_eq!(batch.inputs.dims(), [4, 784]);
    let expected: Vec<f32> = items(4).into_iter().flat_map(|item| item.pixels).collect();
    assert_eq!(floats(batch.inputs), expected);
    assert_eq!(ints(batch.labels), vec![0, 1, 2, 3]);
}

#[test]
fn items_of_the_wrong_length_are_cut_or_padded_not_a_panic() {
    let odd = vec![
        DigitItem {
            pixels: vec![1.0; 3],
            label: 4,
        },
        DigitItem {
            pixels: vec![2.0; 800],
            label: 5,
        },
    ];
    let batch: DomainBatch<B, 2> = FlatDigitBatcher.batch(odd, &Default::default());
    let values = floats(batch.inputs);
    assert_eq!(values.len(), 2 * 784);
    assert_eq!(&values[..4], &[1.0, 1.0, 1.0, 0.0]);
    assert!(values[784..].iter().all(|&v| v == 2.0));
}

#[test]
fn point_batches_are_coordinates() {
    let points = vec![
        PointItem {
            x: [0.5, -1.0],
            label: 1,
        },
        PointItem {
            x: [2.0, 3.5],
            label: 0,
        },
    ];
    let batch: DomainBatch<B, 2> = PointBatcher.batch(points, &Default::default());
    assert_eq!(batch.inputs.dims(), [2, 2]);
    assert_eq!(floats(batch.inputs), vec![0.5, -1.0, 2.0, 3.5]);
    assert_eq!(ints(batch.labels), vec![1, 0]);
}

#[test]
fn an_empty_batch_is_empty() {
    let batch: DomainBatch<B, 4> = DigitBatcher.batch(Vec::new(), &Default::default());
    assert!(batch.is_empty());
    assert_eq!(batch.inputs.dims(), [0, 1, 28, 28]);
}

#[test]
fn a_data_loader_batches_the_embedded_digits() {
    let data = mnist_test().take(100);
    let loader = DataLoaderBuilder::<B, _, DomainBatch<B, 4>>::new(DigitBatcher)
        .batch_size(32)
        .build(data.clone());
    let batches: Vec<_> = loader.iter().collect();
    assert_eq!(
        batches.iter().map(DomainBatch::len).collect::<Vec<_>>(),
        [32, 32, 32, 4]
    );
    let last = batches.last().unwrap();
    assert_eq!(
        floats(last.inputs.clone()),
        data.pixels()[96 * 784..].to_vec()
    );
    assert_eq!(
        ints(last.labels.clone()),
        data.labels()[96..]
            .iter()
            .map(|&l| i64::from(l))
            .collect::<Vec<_>>()
    );
}

#[test]
fn data_sets_check_what_they_are_given() {
    assert!(matches!(
        DigitDataset::new(vec![0.0; 783], vec![1]),
        Err(DataError::PixelCount {
            expected: 784,
            found: 783
        })
    ));
    assert!(matches!(
        DigitDataset::new(vec![0.0; 2 * 784], vec![1, 12]),
        Err(DataError::InvalidLabel {
            index: 1,
            label: 12
        })
    ));
    assert!(matches!(
        PointDataset::new(vec![[0.0, 0.0]], vec![0, 1]),
        Err(DataError::LengthMismatch {
            inputs: 1,
            labels: 2
        })
    ));
    let digits = DigitDataset::new(vec![0.5; 2 * 784], vec![3, 4]).unwrap();
    assert!(matches!(
        digits.subset(&[0, 2]),
        Err(DataError::IndexOutOfRange { index: 2, len: 2 })
    ));
    assert_eq!(digits.subset(&[1, 1]).unwrap().labels(), &[4, 4]);
    assert_eq!(digits.take(5), digits);
    assert!(digits.image(usize::MAX).is_none());
    let points = PointDataset::new(vec![[1.0, 2.0]], vec![1]).unwrap();
    assert_eq!(
        points.get(0),
        Some(PointItem {
            x: [1.0, 2.0],
            label: 1
        })
    );
    assert!(points.get(1).is_none());
    assert!(matches!(
        points.subset(&[1]),
        Err(DataError::IndexOutOfRange { index: 1, len: 1 })
    ));
}
