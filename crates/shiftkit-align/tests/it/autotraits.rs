//! Public types can cross threads.

use burn::backend::{Autodiff, NdArray};
use shiftkit_align::{
    AlignError, CentroidAligner, CentroidAlignerConfig, CentroidRecord, CentroidState, ClassMeans,
    Domain,
};

/// The checks run at compile time; the test names them in the report.
#[test]
fn public_types_are_send_and_sync() {
    shiftkit_testkit::assert_send_sync_unpin!(
        AlignError,
        Domain,
        CentroidAlignerConfig,
        CentroidRecord,
        CentroidAligner<NdArray>,
        CentroidState<NdArray>,
        ClassMeans<NdArray>,
        CentroidAligner<Autodiff<NdArray>>,
    );
}
