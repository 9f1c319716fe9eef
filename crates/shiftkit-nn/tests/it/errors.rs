//! Every impossible configuration is refused at `init` with its own variant; configurations
//! round-trip through JSON.

use crate::common;
use common::serial;

use burn::config::Config;
use common::Inner;
use shiftkit_nn::{
    CnnEncoderConfig, DomainDiscriminatorConfig, MlpEncoderConfig, NnError, ShallowEncoderConfig,
};

const BAD_DROPOUTS: [f64; 6] = [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

#[test]
fn discriminator_errors() {
    let _serial = serial();
    let device = Default::default();
    let init = |config: DomainDiscriminatorConfig| config.init::<Inner>(&device);

    assert!(matches!(
        init(DomainDiscriminatorConfig::new(0)),
        Err(NnError::ZeroSize { what: "latent_dim" })
    ));
    assert!(matches!(
        init(DomainDiscriminatorConfig::new(4).with_hidden_dim(0)),
        Err(NnError::ZeroSize { what: "hidden_dim" })
    ));
    for bad in BAD_DROPOUTS {
        let result = init(DomainDiscriminatorConfig::new(4).with_dropout(bad));
        assert!(
            matches!(result, Err(NnError::InvalidDropout(p)) if p.to_bits() == bad.to_bits()),
            "dropout {bad}"
        );
    }
    assert!(matches!(
        init(
            DomainDiscriminatorConfig::new(4)
                .with_hidden_layers(0)
                .with_dropout(0.5)
        ),
        Err(NnError::NoHiddenLayer { option: "dropout" })
    ));
    assert!(matches!(
        init(
            DomainDiscriminatorConfig::new(4)
                .with_hidden_layers(0)
                .with_batch_norm(true)
        ),
        Err(NnError::NoHiddenLayer {
            option: "batch_norm"
        })
    ));
    // The edges that are allowed.
    assert!(init(DomainDiscriminatorConfig::new(4).with_dropout(0.0)).is_ok());
    assert!(init(DomainDiscriminatorConfig::new(4).with_dropout(0.999)).is_ok());
    assert!(init(DomainDiscriminatorConfig::new(4).with_hidden_layers(0)).is_ok());
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

    assert!(matches!(
        init(small().with_input_dim(0)),
        Err(NnError::ZeroSize { what: "input_dim" })
    ));
    assert!(matches!(
        init(small().with_hidden_dims(vec![3, 0, 2])),
        Err(NnError::ZeroSize {
            what: "hidden_dims"
        })
    ));
    assert!(matches!(
        init(small().with_latent_dim(0)),
        Err(NnError::ZeroSize { what: "latent_dim" })
    ));
    assert!(matches!(
        init(small().with_num_classes(0)),
        Err(NnError::ZeroSize {
            what: "num_classes"
        })
    ));
    for bad in BAD_DROPOUTS {
        assert!(
            matches!(
                init(small().with_dropout(bad)),
                Err(NnError::InvalidDropout(_))
            ),
            "dropout {bad}"
        );
    }
    assert!(init(small().with_num_classes(1)).is_ok());
}

#[test]
fn cnn_errors() {
    let _serial = serial();
    let device = Default::default();
    let init = |config: CnnEncoderConfig| config.init::<Inner>(&device);
    let small = || {
        CnnEncoderConfig::new()
            .with_image_size([4, 4])
            .with_conv_channels([2, 2])
            .with_hidden_dim(4)
    };

    assert!(matches!(
        init(small().with_in_channels(0)),
        Err(NnError::ZeroSize {
            what: "in_channels"
        })
    ));
    for channels in [[0, 2], [2, 0]] {
        assert!(matches!(
            init(small().with_conv_channels(channels)),
            Err(NnError::ZeroSize {
                what: "conv_channels"
            })
        ));
    }
    assert!(matches!(
        init(small().with_hidden_dim(0)),
        Err(NnError::ZeroSize { what: "hidden_dim" })
    ));
    assert!(matches!(
        init(small().with_latent_dim(0)),
        Err(NnError::ZeroSize { what: "latent_dim" })
    ));
    assert!(matches!(
        init(small().with_num_classes(0)),
        Err(NnError::ZeroSize {
            what: "num_classes"
        })
    ));
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
    for bad in BAD_DROPOUTS {
        assert!(
            matches!(
                init(small().with_dropout(bad)),
                Err(NnError::InvalidDropout(_))
            ),
            "dropout {bad}"
        );
    }
}

#[test]
fn shallow_errors() {
    let _serial = serial();
    let device = Default::default();
    let init = |config: ShallowEncoderConfig| config.init::<Inner>(&device);
    assert!(matches!(
        init(ShallowEncoderConfig::new().with_input_dim(0)),
        Err(NnError::ZeroSize { what: "input_dim" })
    ));
    assert!(matches!(
        init(ShallowEncoderConfig::new().with_latent_dim(0)),
        Err(NnError::ZeroSize { what: "latent_dim" })
    ));
    assert!(matches!(
        init(ShallowEncoderConfig::new().with_num_classes(0)),
        Err(NnError::ZeroSize {
            what: "num_classes"
        })
    ));
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

#[test]
fn configs_round_trip_through_json() {
    let _serial = serial();
    let d = DomainDiscriminatorConfig::new(16)
        .with_hidden_layers(2)
        .with_dropout(0.5)
        .with_batch_norm(true);
    assert_eq!(
        DomainDiscriminatorConfig::load_binary(d.to_string().as_bytes()).unwrap(),
        d
    );
    let m = MlpEncoderConfig::new().with_hidden_dims(vec![64]);
    assert_eq!(
        MlpEncoderConfig::load_binary(m.to_string().as_bytes()).unwrap(),
        m
    );
    let c = CnnEncoderConfig::new()
        .with_image_size([32, 32])
        .with_in_channels(3);
    assert_eq!(
        CnnEncoderConfig::load_binary(c.to_string().as_bytes()).unwrap(),
        c
    );
    let s = ShallowEncoderConfig::new().with_latent_dim(8);
    assert_eq!(
        ShallowEncoderConfig::load_binary(s.to_string().as_bytes()).unwrap(),
        s
    );
}
