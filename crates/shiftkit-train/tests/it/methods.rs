//! The method presets: each trains on two moons with the terms it names, and the
//! configuration's JSON round-trips, including ShiftKit's flat layout.

use crate::common;

use common::{accuracy, moons, moons_trainer, seeded_trainer, serial};
use shiftkit_train::{Adversary, DannConfig, Method, TrainError};

#[test]
fn every_preset_trains_with_its_terms() {
    let _serial = serial();
    let pair = moons(0);
    for method in Method::ALL {
        let config = method.configure(DannConfig::new().with_lr(1e-2));
        let mut trainer = moons_trainer(&pair, config, 0);
        let names: Vec<String> = trainer.terms().map(|t| t.name().to_string()).collect();
        let expected: &[&str] = match method {
            Method::SourceOnly => &[],
            Method::Dann | Method::Cdan | Method::CdanE => &["domain"],
            Method::DannMstn => &["domain", "semantic"],
            Method::Mmd => &["mmd"],
            Method::Coral => &["coral"],
            Method::Mcc => &["mcc"],
            other => panic!("{other}: a preset this test does not know yet"),
        };
        assert_eq!(names, expected, "{method}");
        let history = trainer.fit(2).unwrap();
        let last = history.last().unwrap();
        assert!(last.total_loss.is_finite(), "{method}");
        match method {
            Method::Mmd => assert!(last.mmd_loss != 0.0, "mmd_loss is filled"),
            Method::Coral => assert!(last.other_losses["coral"] > 0.0),
            Method::Mcc => assert!(last.other_losses["mcc"] > 0.0),
            Method::Dann | Method::DannMstn | Method::Cdan | Method::CdanE => {
                assert!(last.domain_loss > 0.0 && last.disc_acc > 0.0)
            }
            Method::SourceOnly => assert_eq!(last.domain_loss, 0.0),
            other => panic!("{other}: a preset this test does not know yet"),
        }
        let source_accuracy = accuracy(&trainer, &pair.source_test, "source");
        assert!(
            source_accuracy > 0.7,
            "{method}: source accuracy {source_accuracy}"
        );
    }
}

#[test]
fn cdan_conditions_the_discriminator_on_the_predictions() {
    let _serial = serial();
    let trainer = seeded_trainer(Method::Cdan.config(), 0);
    // The shallow network's features are 15 wide, two classes: a 30-wide map.
    assert_eq!(trainer.discriminator().latent_dim(), 30);
    assert_eq!(trainer.config().adversary, Adversary::Cdan);
    assert!(Method::CdanE.config().cdan.entropy && !Method::Cdan.config().cdan.entropy);
}

#[test]
fn configure_switches_off_what_the_method_does_not_use() {
    let _serial = serial();
    let base = DannConfig::new()
        .with_semantic_weight(0.2)
        .with_mmd_weight(0.7)
        .with_coral_weight(3.0)
        .with_mcc_weight(0.4);
    let mmd = Method::Mmd.configure(base.clone());
    assert_eq!(
        (
            mmd.domain_weight,
            mmd.semantic_weight,
            mmd.mmd_weight,
            mmd.coral_weight
        ),
        (0.0, 0.0, 0.7, 0.0)
    );
    assert_eq!(mmd.mcc_weight, 0.0);
    let mcc = Method::Mcc.configure(base.clone());
    assert_eq!(
        (mcc.mcc_weight, mcc.mmd_weight, mcc.domain_weight),
        (0.4, 0.0, 0.0)
    );
    let mstn = Method::DannMstn.configure(base);
    assert_eq!((mstn.domain_weight, mstn.semantic_weight), (1.0, 0.2));
    let defaults = Method::DannMstn.configure(DannConfig::new());
    assert_eq!(defaults.semantic_weight, Method::DEFAULT_SEMANTIC_WEIGHT);
}

#[test]
fn method_names_round_trip() {
    let _serial = serial();
    for method in Method::ALL {
        assert_eq!(method.name().parse::<Method>().unwrap(), method);
    }
    assert_eq!("CDAN+E".parse::<Method>().unwrap(), Method::CdanE);
    assert!("dan".parse::<Method>().is_err());
}

#[test]
fn a_flat_configuration_of_earlier_versions_still_loads() {
    let _serial = serial();
    let flat = r#"{"domain_weight": 0.3, "discriminator_hidden": 512, "discriminator_layers": 2,
        "discriminator_dropout": 0.5, "centroid_momentum": 0.3, "centroid_start": "Zero",
        "semantic_weight": 0.5}"#;
    let config = DannConfig::from_json(flat).unwrap();
    assert_eq!(config.discriminator.hidden_dim, 512);
    assert_eq!(config.discriminator.hidden_layers, 2);
    assert_eq!(config.discriminator.dropout, 0.5);
    assert_eq!(config.centroids.momentum, 0.3);
    assert_eq!(config.domain_weight, 0.3);
    assert_eq!(config.semantic_weight, 0.5);
    // The current layout round-trips.
    let current = Method::CdanE.config().with_mmd_weight(0.1);
    let json = serde_json::to_string(&current).unwrap();
    assert_eq!(DannConfig::from_json(&json).unwrap(), current);
}

#[test]
fn a_bad_configuration_field_is_named() {
    let _serial = serial();
    for (json, field) in [
        (r#"{"domain_wieght": 1.0}"#, "domain_wieght"),
        (r#"{"lr": "fast"}"#, "lr"),
        (r#"{"discriminator": {"width": 3}}"#, "discriminator.width"),
        (r#"{"discriminator_dropout": "half"}"#, "discriminator"),
        (r#"{"adversary": "Gan"}"#, "adversary"),
        ("[1, 2]", "(document)"),
        ("{", "(document)"),
    ] {
        match DannConfig::from_json(json) {
            Err(TrainError::ConfigField { field: got, .. }) => assert_eq!(got, field, "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
}
