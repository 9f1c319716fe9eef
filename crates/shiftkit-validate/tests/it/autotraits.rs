//! Compile-time checks: the public types can cross threads.

use burn::backend::NdArray;
use shiftkit_validate::{
    DomainClassifier, DomainClassifierConfig, Pca2, SndSpace, ValidateError, ValidationInputs,
    Validator, ValidatorConfig,
};

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<ValidateError>();
    send_sync::<Validator>();
    send_sync::<ValidatorConfig>();
    send_sync::<SndSpace>();
    send_sync::<DomainClassifierConfig>();
    send_sync::<DomainClassifier<NdArray>>();
    send_sync::<ValidationInputs<NdArray>>();
    send_sync::<Pca2>();
}
