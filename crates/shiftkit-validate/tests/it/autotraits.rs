//! Compile-time checks: the public types can cross threads.

use burn::backend::NdArray;
use shiftkit_validate::{
    DomainClassifier, DomainClassifierConfig, Pca2, SndSpace, ValidateError, ValidationInputs,
    Validator, ValidatorConfig,
};

/// The checks run at compile time; the test names them in the report.
#[test]
fn public_types_are_send_and_sync() {
    shiftkit_testkit::assert_send_sync_unpin!(
        ValidateError,
        Validator,
        ValidatorConfig,
        SndSpace,
        DomainClassifierConfig,
        DomainClassifier<NdArray>,
        ValidationInputs<NdArray>,
        Pca2,
    );
}
