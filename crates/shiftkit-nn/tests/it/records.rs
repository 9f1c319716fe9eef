//! Saving and loading networks: exact round trips, the export of an encoder trained on the
//! autodiff backend and read back on the plain one, and typed errors for files of another
//! network or damaged files.

use crate::common;
use common::serial;

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::tensor::backend::Backend;
use common::{Ad, Inner, input};
use shiftkit_nn::records::{load_bytes, to_bytes};
use shiftkit_nn::{
    CnnEncoderConfig, Encoder, MlpEncoderConfig, RecordError, load_encoder, save_encoder,
};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("shiftkit-nn-records-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn logits<B: Backend, E: Encoder<B, Input = burn::tensor::Tensor<B, 2>>>(e: &E) -> Vec<f32> {
    let x = input::<B, 2>([5, 784], 3);
    e.forward(x).into_data().to_vec().unwrap()
}

#[test]
fn a_record_round_trips_bit_for_bit_into_a_fresh_network() {
    let _serial = serial();
    let device = Default::default();
    Inner::seed(&device, 1);
    let trained = MlpEncoderConfig::new().init::<Inner>(&device).unwrap();
    let bytes = to_bytes::<Inner, _>(&trained, Path::new("mem")).unwrap();
    Inner::seed(&device, 2);
    let fresh = MlpEncoderConfig::new().init::<Inner>(&device).unwrap();
    assert_ne!(
        logits(&trained),
        logits(&fresh),
        "another seed, other weights"
    );
    let loaded = load_bytes::<Inner, _>(fresh, &bytes, Path::new("mem"), &device).unwrap();
    let (a, b) = (logits(&trained), logits(&loaded));
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_record_of_another_network_is_refused_naming_the_place() {
    let _serial = serial();
    let device = Default::default();
    let label = Path::new("weights.mpk");
    let saved = MlpEncoderConfig::new().init::<Inner>(&device).unwrap();
    let bytes = to_bytes::<Inner, _>(&saved, label).unwrap();
    for (what, other) in [
        (
            "another width",
            MlpEncoderConfig::new().with_hidden_dims(vec![512, 128]),
        ),
        (
            "another depth",
            MlpEncoderConfig::new().with_hidden_dims(vec![512]),
        ),
        (
            "another class count",
            MlpEncoderConfig::new().with_num_classes(7),
        ),
        ("another input", MlpEncoderConfig::new().with_input_dim(64)),
    ] {
        let target = other.init::<Inner>(&device).unwrap();
        match load_bytes::<Inner, _>(target, &bytes, label, &device) {
            Err(RecordError::Mismatch { path, at, .. }) => {
                assert_eq!(path, label, "{what}");
                assert!(at.starts_with("item"), "{what}: {at}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    // Another kind of network altogether.
    let cnn = CnnEncoderConfig::new().init::<Inner>(&device).unwrap();
    assert!(matches!(
        load_bytes::<Inner, _>(cnn, &bytes, label, &device),
        Err(RecordError::Mismatch { .. })
    ));
}

#[test]
fn damaged_bytes_are_decode_or_mismatch_errors() {
    let _serial = serial();
    let device = Default::default();
    let label = Path::new("weights.mpk");
    let saved = MlpEncoderConfig::new()
        .with_hidden_dims(vec![16])
        .with_latent_dim(8)
        .with_input_dim(12)
        .init::<Inner>(&device)
        .unwrap();
    let bytes = to_bytes::<Inner, _>(&saved, label).unwrap();
    let fresh = || saved.clone();
    let mut tried = 0;
    for cut in (0..bytes.len()).step_by(7) {
        let result = load_bytes::<Inner, _>(fresh(), &bytes[..cut], label, &device);
        assert!(
            matches!(
                result,
                Err(RecordError::Decode { .. } | RecordError::Mismatch { .. })
            ),
            "cut at {cut}: {result:?}"
        );
        tried += 1;
    }
    assert!(tried > 10);
    assert!(matches!(
        load_bytes::<Inner, _>(fresh(), b"not a record", label, &device),
        Err(RecordError::Decode { .. })
    ));
}

#[test]
fn an_exported_encoder_loads_on_the_plain_backend_with_equal_predictions() {
    let _serial = serial();
    let dir = scratch("export");
    let path = dir.join("encoder.mpk");
    let device = Default::default();
    Ad::seed(&device, 4);
    let config = MlpEncoderConfig::new().with_dropout(0.0);
    let trained = config.init::<Ad>(&device).unwrap();
    save_encoder::<Ad, _>(&path, &trained, &config).unwrap();
    assert!(path.exists() && dir.join("encoder.json").exists());

    let (loaded, read_config) = load_encoder::<Inner, MlpEncoderConfig>(&path, &device).unwrap();
    assert_eq!(read_config, config);
    assert_eq!(logits(&trained.valid()), logits(&loaded));

    // The file of an MLP is not read as a CNN's.
    assert!(matches!(
        load_encoder::<Inner, CnnEncoderConfig>(&path, &device),
        Err(RecordError::Config { .. })
    ));
    // A missing file is an I/O error naming it.
    match load_encoder::<Inner, MlpEncoderConfig>(&dir.join("absent.mpk"), &device) {
        Err(RecordError::Io(failure)) => assert_eq!(failure.path, dir.join("absent.json")),
        other => panic!("{other:?}"),
    }
    // Weights at a `.json` path would be overwritten by the configuration: refused, and
    // nothing is written.
    let json = dir.join("weights.json");
    assert!(matches!(
        save_encoder::<Ad, _>(&json, &trained, &config),
        Err(RecordError::Config { path, .. }) if path == json
    ));
    assert!(!json.exists());
    std::fs::remove_dir_all(dir).unwrap();
}
