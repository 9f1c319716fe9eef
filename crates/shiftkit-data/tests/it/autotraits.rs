//! Compile-time checks: the public types can cross threads (Burn's loaders need it).

use burn::backend::NdArray;
use shiftkit_data::{
    DataError, DigitBatcher, DigitDataset, DigitItem, DigitsPair, DomainBatch, FlatDigitBatcher,
    MoonsConfig, MoonsPair, PointBatcher, PointDataset, PointItem,
};

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<DataError>();
    send_sync::<DigitItem>();
    send_sync::<PointItem>();
    send_sync::<DigitDataset>();
    send_sync::<PointDataset>();
    send_sync::<DigitsPair>();
    send_sync::<MoonsPair>();
    send_sync::<MoonsConfig>();
    send_sync::<DigitBatcher>();
    send_sync::<FlatDigitBatcher>();
    send_sync::<PointBatcher>();
    send_sync::<DomainBatch<NdArray, 4>>();
}
