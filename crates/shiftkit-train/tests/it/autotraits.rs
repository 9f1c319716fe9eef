//! Public types can cross threads: a trainer can be moved to a worker, records sent back.

use crate::common;

/// The checks run at compile time; the test names them in the report.
#[test]
fn public_types_are_send_and_sync() {
    shiftkit_testkit::assert_send_sync_unpin!(
        shiftkit_train::DannConfig,
        shiftkit_train::EpochRecord,
        shiftkit_train::EvalResult,
        shiftkit_train::StepReport,
        shiftkit_train::TrainError,
    );

    const _: () = {
        const fn assert_send<T: Send>() {}
        assert_send::<common::Trainer>();
    };
}
