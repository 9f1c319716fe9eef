//! Compile-time check: every public type can cross threads.

use burn::backend::{Autodiff, NdArray};
use shiftkit_nn::{
    CnnEncoder, CnnEncoderConfig, DomainDiscriminator, DomainDiscriminatorConfig, MlpEncoder,
    MlpEncoderConfig, NnError, ShallowEncoder, ShallowEncoderConfig,
};

const fn assert_send_sync<T: Send + Sync>() {}

const _: () = {
    assert_send_sync::<NnError>();
    assert_send_sync::<DomainDiscriminatorConfig>();
    assert_send_sync::<MlpEncoderConfig>();
    assert_send_sync::<CnnEncoderConfig>();
    assert_send_sync::<ShallowEncoderConfig>();

    assert_send_sync::<DomainDiscriminator<NdArray>>();
    assert_send_sync::<MlpEncoder<NdArray>>();
    assert_send_sync::<CnnEncoder<NdArray>>();
    assert_send_sync::<ShallowEncoder<NdArray>>();

    assert_send_sync::<DomainDiscriminator<Autodiff<NdArray>>>();
    assert_send_sync::<MlpEncoder<Autodiff<NdArray>>>();
    assert_send_sync::<CnnEncoder<Autodiff<NdArray>>>();
    assert_send_sync::<ShallowEncoder<Autodiff<NdArray>>>();
};

/// The checks above run at compile time; this test only makes the file show in the report.
#[test]
fn public_types_are_send_and_sync() {}
