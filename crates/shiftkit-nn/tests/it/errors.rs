//! Every impossible configuration is refused at `init` with its own variant; configurations
//! round-trip through JSON.

use crate::common;
use common::serial;

use std::fmt::{Debug, Display};

use burn::config::Config;
use common::{Inner, small_cnn};
use shiftkit_nn::{
    CnnEncoderConfig, DomainDiscriminatorConfig, MlpEncoderConfig, NnError, ShallowEncoderConfig,
};

const BAD_DROPOUTS: [f64; 6] = [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

/// Asserts that every configuration is refused with a zero in the field named beside it.
#[track_caller]
fn assert_zero_sizes<C, M>(
    init: impl Fn(C) -> Result<M, NnError>,
    cases: impl IntoIterator<Item = (C, &'static str)>,
) {
    for (case, (config, field)) in cases.into_iter().enumerate() {
        assert!(
            matches!(init(config), Err(NnError::ZeroSize { what }) if what == field),
            "case {case}: a zero {field}"
        );
    }
}

/// Asserts that every probability of [`BAD_DROPOUTS`] is refused, and reported as it was given.
#[track_caller]
fn assert_bad_dropouts_refused<M>(init_with_dropout: impl Fn(f64) -> Result<M, NnError>) {
    for bad in BAD_DROPOUTS {
        assert!(
            matches!(
                init_with_dropout(bad),
                Err(NnError::InvalidDropout(p)) if p.to_bits() == bad.to_bits()
            ),
            "dropout {bad}"
        );
    }
}

#[test]
fn discriminator_errors() {
    let _serial = serial();
    let device = Default::default();
    let init = |config: DomainDiscriminatorConfig| config.init::<Inner>(&device);

    assert_zero_sizes(
        init,
        [
            (DomainDiscriminatorConfig::new(0), "latent_dim"),
            (
                DomainDiscriminatorConfig::new(4).with_hidden_dim(0),
                "hidden_dim",
            ),
        ],
    );
    assert_bad_dropouts_refused(|p| init(DomainDiscriminatorConfig::new(4).with_dropout(p)));
    let no_hidden_layer = || DomainDiscriminatorConfig::new(4).with_hidden_layers(0);
    assert!(matches!(
        init(no_hidden_layer().with_dropout(0.5)),
        Err(NnError::NoHiddenLayer { option: "dropout" })
    ));
    assert!(matches!(
        init(no_hidden_layer().with_batch_norm(true)),
        Err(NnError::NoHiddenLayer {
            option: "batch_norm"
        })
    ));
    // The edges that are allowed.
    assert!(init(DomainDiscriminatorConfig::new(4).with_dropout(0.0)).is_ok());
    assert!(init(DomainDiscriminatorConfig::new(4).with_dropout(0.999)).is_ok());
    assert!(init(no_hidden_layer()).is_ok());
}

#[test]
fn mlp_errors() {
    let _serial = serial();
    let device = Default::default();
    let init = |config: MlpEncoderConfig| config.init::<Inner>(&device);
    let small = || {
        MlpEncoderConfig::new()
            .with_input_dim(4)
            .with_hidden_dims(vec![3])
    };

    assert_zero_sizes(
        init,
        [
            (small().with_input_dim(0), "input_dim"),
            (small().with_hidden_dims(vec![3, 0, 2]), "hidden_dims"),
            (small().with_latent_dim(0), "latent_dim"),
            (small().with_num_classes(0), "num_classes"),
        ],
    );
    assert_bad_dropouts_refused(|p| init(small().with_dropout(p)));
    assert!(init(small().with_num_classes(1)).is_ok());
    // Dropout acts after hidden layers: without one it would be silently ignored.
    assert!(matches!(
        init(small().with_hidden_dims(vec![]).with_dropout(0.5)),
        Err(NnError::NoHiddenLayer { option: "dropout" })
    ));
    assert!(init(small().with_hidden_dims(vec![]).with_dropout(0.0)).is_ok());
}

#[test]
fn cnn_errors() {
    let _serial = serial();
    let device = Default::default();
    let init = |config: CnnEncoderConfig| config.init::<Inner>(&device);
    let small = || small_cnn([4, 4], [2, 2], 4);

    assert_zero_sizes(
        init,
        [
            (small().with_in_channels(0), "in_channels"),
            (small().with_conv_channels([0, 2]), "conv_channels"),
            (small().with_conv_channels([2, 0]), "conv_channels"),
            (small().with_hidden_dim(0), "hidden_dim"),
            (small().with_latent_dim(0), "latent_dim"),
            (small().with_num_classes(0), "num_classes"),
        ],
    );
    for size in [[3, 28], [28, 3], [0, 0]] {
        assert!(matches!(
            init(small().with_image_size(size)),
            Err(NnError::ImageTooSmall { height, width }) if [height, width] == size
        ));
    }
    assert!(matches!(
        init(small().with_image_size([usize::MAX, usize::MAX])),
        Err(NnError::SizeOverflow { what: "image_size" })
    ));
    assert_bad_dropouts_refused(|p| init(small().with_dropout(p)));
}

#[test]
fn shallow_errors() {
    let _serial = serial();
    let device = Default::default();
    assert_zero_sizes(
        |config: ShallowEncoderConfig| config.init::<Inner>(&device),
        [
            (ShallowEncoderConfig::new().with_input_dim(0), "input_dim"),
            (ShallowEncoderConfig::new().with_latent_dim(0), "latent_dim"),
            (
                ShallowEncoderConfig::new().with_num_classes(0),
                "num_classes",
            ),
        ],
    );
}

#[test]
fn defaults_are_shiftkits() {
    let _serial = serial();
    let d = DomainDiscriminatorConfig::new(128);
    assert_eq!((d.hidden_dim, d.hidden_layers), (128, 1));
    assert_eq!((d.dropout, d.batch_norm), (0.0, false));

    let m = MlpEncoderConfig::new();
    assert_eq!(
        (m.input_dim, m.hidden_dims.as_slice()),
        (784, &[512, 256][..])
    );
    assert_eq!((m.latent_dim, m.num_classes, m.dropout), (128, 10, 0.3));

    let c = CnnEncoderConfig::new();
    assert_eq!(
        (c.in_channels, c.image_size, c.conv_channels),
        (1, [28, 28], [32, 64])
    );
    assert_eq!(
        (c.hidden_dim, c.latent_dim, c.num_classes, c.dropout),
        (256, 128, 10, 0.3)
    );

    let s = ShallowEncoderConfig::new();
    assert_eq!((s.input_dim, s.latent_dim, s.num_classes), (2, 15, 2));
}

/// Asserts that a configuration reads back from its JSON as it was.
#[track_caller]
fn assert_round_trips<C: Config + PartialEq + Debug + Display>(config: C) {
    assert_eq!(
        C::load_binary(config.to_string().as_bytes()).unwrap(),
        config
    );
}

#[test]
fn configs_round_trip_through_json() {
    let _serial = serial();
    assert_round_trips(
        DomainDiscriminatorConfig::new(16)
            .with_hidden_layers(2)
            .with_dropout(0.5)
            .with_batch_norm(true),
    );
    assert_round_trips(MlpEncoderConfig::new().with_hidden_dims(vec![64]));
    assert_round_trips(
        CnnEncoderConfig::new()
            .with_image_size([32, 32])
            .with_in_channels(3),
    );
    assert_round_trips(ShallowEncoderConfig::new().with_latent_dim(8));
}
