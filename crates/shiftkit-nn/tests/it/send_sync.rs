//! Compile-time check: every public type can cross threads.

use burn::backend::{Autodiff, NdArray};
use shiftkit_nn::{
    CnnEncoder, CnnEncoderConfig, DomainDiscriminator, DomainDiscriminatorConfig, MlpEncoder,
    MlpEncoderConfig, NnError, ShallowEncoder, ShallowEncoderConfig,
};

/// The checks run at compile time; the test names them in the report.
#[test]
fn public_types_are_send_and_sync() {
    shiftkit_testkit::assert_send_sync_unpin!(
        NnError,
        DomainDiscriminatorConfig,
        MlpEncoderConfig,
        CnnEncoderConfig,
        ShallowEncoderConfig,
        DomainDiscriminator<NdArray>,
        MlpEncoder<NdArray>,
        CnnEncoder<NdArray>,
        ShallowEncoder<NdArray>,
        DomainDiscriminator<Autodiff<NdArray>>,
        MlpEncoder<Autodiff<NdArray>>,
        CnnEncoder<Autodiff<NdArray>>,
        ShallowEncoder<Autodiff<NdArray>>,
    );
}
