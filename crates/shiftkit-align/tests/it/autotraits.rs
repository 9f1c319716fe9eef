//! Public types can cross threads.

use burn::backend::{Autodiff, NdArray};
use shiftkit_align::{
    AlignError, CentroidAligner, CentroidAlignerConfig, CentroidRecord, CentroidState, ClassMeans,
    Domain,
};

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<AlignError>();
    send_sync::<Domain>();
    send_sync::<CentroidAlignerConfig>();
    send_sync::<CentroidRecord>();
    send_sync::<CentroidAligner<NdArray>>();
    send_sync::<CentroidState<NdArray>>();
    send_sync::<ClassMeans<NdArray>>();
    send_sync::<CentroidAligner<Autodiff<NdArray>>>();
}
