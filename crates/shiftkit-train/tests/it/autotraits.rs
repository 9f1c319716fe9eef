//! Public types can cross threads: a trainer can be moved to a worker, records sent back.

use crate::common;

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<shiftkit_train::DannConfig>();
    assert_send_sync::<shiftkit_train::EpochRecord>();
    assert_send_sync::<shiftkit_train::EvalResult>();
    assert_send_sync::<shiftkit_train::StepReport>();
    assert_send_sync::<shiftkit_train::TrainError>();
    assert_send::<common::Trainer>();
}
