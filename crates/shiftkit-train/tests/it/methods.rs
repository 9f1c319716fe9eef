//! The method presets: each trains on two moons with the terms it names, and the
//! configuration's JSON round-trips, including ShiftKit's flat layout.

use crate::common;

use common::{accuracy, moons, moons_trainer, seeded_trainer, serial};
use shiftkit_train::terms::{
    ClassConfusionConfig, ConditionalAdversarialConfig, MeanDiscrepancyConfig, TermConfig,
};
use shiftkit_train::{DannConfig, Method, TrainError};

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
            Method::Mmd => assert!(last.loss("mmd") != 0.0, "mmd_loss is filled"),
            Method::Coral => assert!(last.losses["coral"] > 0.0),
            Method::Mcc => assert!(last.losses["mcc"] > 0.0),
            Method::Dann | Method::DannMstn | Method::Cdan | Method::CdanE => {
                assert!(last.loss("domain") > 0.0 && last.disc_acc > 0.0)
            }
            Method::SourceOnly => assert_eq!(last.loss("domain"), 0.0),
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
    let entropy = |method: Method| match method.terms().as_slice() {
        [TermConfig::Cdan(cdan)] => cdan.entropy,
        other => panic!("{method}: {other:?}"),
    };
    assert!(entropy(Method::CdanE) && !entropy(Method::Cdan));
}

#[test]
fn configure_replaces_the_base_terms_by_the_methods_at_their_defaults() {
    let _serial = serial();
    let base = DannConfig::new()
        .with_domain_weight(0.3)
        .with_semantic_weight(0.2)
        .with_pseudo_label_confidence(0.4)
        .with_lr(0.01)
        .with_terms(vec![TermConfig::Mmd(
            MeanDiscrepancyConfig::new().with_weight(0.7),
        )]);
    // The base's ShiftKit terms and its list give way to the method's.
    let mmd = Method::Mmd.configure(base.clone());
    assert_eq!((mmd.domain_weight, mmd.semantic_weight), (0.0, 0.0));
    assert_eq!(mmd.run_terms(), Method::Mmd.terms());
    assert_eq!(mmd.term_weight("mmd"), Some(1.0));
    assert_eq!(mmd.lr, 0.01);
    // CDAN takes its own default, not the base's DANN weight.
    let cdan = Method::Cdan.configure(base.clone());
    assert_eq!(cdan.term_weight("domain"), Some(0.6));
    // MSTN's term takes the base's MSTN settings, at the preset's weight.
    let mstn = Method::DannMstn.configure(base.clone());
    let names: Vec<&str> = mstn.run_terms().iter().map(TermConfig::name).collect();
    assert_eq!(names, ["domain", "semantic"]);
    match &mstn.run_terms()[1] {
        TermConfig::Mstn(c) => assert_eq!((c.weight, c.pseudo_label_confidence), (0.5, 0.4)),
        other => panic!("{other:?}"),
    }
    // A weight set afterwards reaches every term of that name.
    let heavier = mstn.with_term_weight("domain", 0.9);
    assert_eq!(heavier.term_weight("domain"), Some(0.9));
    assert_eq!(heavier.term_weight("semantic"), Some(0.5));
    // ShiftKit's own weights are terms of the run too, first.
    let shiftkit = DannConfig::new()
        .with_semantic_weight(0.5)
        .with_terms(vec![TermConfig::Mcc(ClassConfusionConfig::new())]);
    let names: Vec<&str> = shiftkit.run_terms().iter().map(TermConfig::name).collect();
    assert_eq!(names, ["domain", "semantic", "mcc"]);
    // An entry of weight 0 is left out.
    let off = DannConfig::new().with_terms(vec![TermConfig::Cdan(
        ConditionalAdversarialConfig::new().with_weight(0.0),
    )]);
    assert_eq!(off.run_terms().len(), 1);
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
fn shiftkits_flat_configuration_loads() {
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
    let mut current = Method::CdanE.config();
    current.terms.push(TermConfig::Mmd(
        MeanDiscrepancyConfig::new().with_weight(0.1),
    ));
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
