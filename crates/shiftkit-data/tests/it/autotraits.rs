//! Compile-time checks: the public types can cross threads (Burn's loaders need it).

use burn::backend::NdArray;
use shiftkit_data::{
    DataError, DigitBatcher, DigitDataset, DigitItem, DigitsPair, DomainBatch, FlatDigitBatcher,
    MoonsConfig, MoonsPair, PointBatcher, PointDataset, PointItem,
};

/// The checks run at compile time; the test names them in the report.
#[test]
fn public_types_are_send_and_sync() {
    shiftkit_testkit::assert_send_sync_unpin!(
        DataError,
        DigitItem,
        PointItem,
        DigitDataset,
        PointDataset,
        DigitsPair,
        MoonsPair,
        MoonsConfig,
        DigitBatcher,
        FlatDigitBatcher,
        PointBatcher,
        DomainBatch<NdArray, 4>,
    );
}
