//! Every bad input is a typed error, found before training starts; a non-finite loss stops
//! training with the model as it was after the last good step.

mod common;

use burn::data::dataloader::DataLoaderBuilder;
use common::{B, moons, moons_trainer, parameters, train_loader};
use shiftkit_align::{AlignError, MmdConfig};
use shiftkit_data::{PointBatcher, PointDataset};
use shiftkit_nn::{DomainDiscriminatorConfig, NnError, ShallowEncoderConfig};
use shiftkit_train::{DannConfig, DannTrainer, TrainError};

fn build(
    config: DannConfig,
    source: PointDataset,
    target: PointDataset,
) -> Result<common::Trainer, TrainError> {
    let device = Default::default();
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    DannTrainer::new(
        model,
        train_loader(source, 16, 0),
        train_loader(target, 16, 1),
        config,
        &device,
    )
}

#[test]
fn every_out_of_range_hyper_parameter_is_named() {
    let base = DannConfig::new().with_num_classes(2);
    let cases: Vec<(&str, DannConfig)> = vec![
        ("domain_weight", base.clone().with_domain_weight(-1.0)),
        ("domain_weight", base.clone().with_domain_weight(f64::NAN)),
        ("lr", base.clone().with_lr(0.0)),
        ("lr", base.clone().with_lr(f64::INFINITY)),
        ("alpha", base.clone().with_alpha(-0.5)),
        ("semantic_weight", base.clone().with_semantic_weight(-0.1)),
        ("num_classes", base.clone().with_num_classes(1)),
        ("gamma", base.clone().with_gamma(0.0)),
        ("adam_epsilon", base.clone().with_adam_epsilon(0.0)),
        ("weight_decay", base.clone().with_weight_decay(-1.0)),
        (
            "collapse_threshold",
            base.clone().with_collapse_threshold(0.0),
        ),
        ("drift_threshold", base.clone().with_drift_threshold(1.0)),
        ("mmd_weight", base.clone().with_mmd_weight(-1.0)),
        (
            "coral_weight",
            base.clone().with_coral_weight(f64::INFINITY),
        ),
        (
            "cdan.random_dim",
            base.clone()
                .with_cdan(shiftkit_train::terms::CdanConfig::new().with_random_dim(0)),
        ),
        (
            "pseudo_label_confidence",
            base.clone().with_pseudo_label_confidence(1.0),
        ),
        (
            "pseudo_label_confidence",
            base.clone().with_pseudo_label_confidence(-0.1),
        ),
        (
            "drift_threshold",
            base.clone().with_drift_threshold(f64::NAN),
        ),
    ];
    let pair = moons(0);
    for (name, config) in cases {
        match build(config, pair.source_train.clone(), pair.target_train.clone()) {
            Err(TrainError::InvalidHyperParameter { name: got, .. }) => assert_eq!(got, name),
            other => panic!(
                "{name}: expected InvalidHyperParameter, got {:?}",
                other.err()
            ),
        }
    }
}

#[test]
fn nested_settings_are_checked_by_their_owners() {
    // One bad value gives the same error through the trainer as from the owning
    // configuration, wrapped.
    let base = DannConfig::new().with_num_classes(2);
    let pair = moons(0);
    let run = |config: DannConfig| {
        build(config, pair.source_train.clone(), pair.target_train.clone()).err()
    };
    assert!(matches!(
        run(base.clone().with_discriminator_hidden(0)),
        Some(TrainError::Network(NnError::ZeroSize {
            what: "hidden_dim"
        }))
    ));
    assert!(matches!(
        run(base.clone().with_discriminator_dropout(1.0)),
        Some(TrainError::Network(NnError::InvalidDropout(_)))
    ));
    assert!(matches!(
        run(base
            .clone()
            .with_discriminator_layers(0)
            .with_discriminator_dropout(0.5)),
        Some(TrainError::Network(NnError::NoHiddenLayer {
            option: "dropout"
        }))
    ));
    for momentum in [0.0, 1.5, f64::NAN] {
        assert!(matches!(
            run(base.clone().with_centroid_momentum(momentum)),
            Some(TrainError::Alignment(AlignError::InvalidMomentum(_)))
        ));
    }
    assert!(matches!(
        run(base.clone().with_mmd(MmdConfig::new().with_sigmas(vec![]))),
        Some(TrainError::Alignment(AlignError::InvalidBandwidth(_)))
    ));
    assert!(matches!(
        DomainDiscriminatorConfig::new(3).with_hidden_dim(0).check(),
        Err(NnError::ZeroSize { what: "hidden_dim" })
    ));
}

#[test]
fn an_empty_loader_is_an_error() {
    let pair = moons(0);
    let empty = PointDataset::new(vec![], vec![]).unwrap();
    let config = DannConfig::new().with_num_classes(2);
    assert!(matches!(
        build(config.clone(), empty.clone(), pair.target_train.clone()),
        Err(TrainError::EmptyLoader { domain }) if domain == "source"
    ));
    assert!(matches!(
        build(config, pair.source_train.clone(), empty),
        Err(TrainError::EmptyLoader { domain }) if domain == "target"
    ));
}

#[test]
fn num_classes_must_match_the_model() {
    let pair = moons(0);
    assert!(matches!(
        build(
            DannConfig::new(),
            pair.source_train.clone(),
            pair.target_train.clone()
        ),
        Err(TrainError::ClassCountMismatch {
            config: 10,
            model: 2
        })
    ));
}

#[test]
fn labels_outside_the_classes_are_an_error() {
    let pair = moons(0);
    let bad = PointDataset::new(vec![[0.0, 0.0], [1.0, 1.0]], vec![0, 5]).unwrap();
    assert!(matches!(
        build(
            DannConfig::new().with_num_classes(2),
            bad,
            pair.target_train.clone()
        ),
        Err(TrainError::LabelOutOfRange {
            label: 5,
            num_classes: 2,
            ..
        })
    ));
}

#[test]
fn a_discriminator_of_the_wrong_width_is_an_error() {
    let pair = moons(0);
    let trainer = moons_trainer(&pair, DannConfig::new(), 0);
    let wrong = DomainDiscriminatorConfig::new(7)
        .init::<B>(&Default::default())
        .unwrap();
    assert!(matches!(
        trainer.with_discriminator(wrong),
        Err(TrainError::LatentDimMismatch {
            encoder: 15,
            discriminator: 7
        })
    ));
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_model() {
    let pair = moons(0);
    // A source set whose last points are NaN: the first batches are fine, then the loss is NaN.
    let mut points = pair.source_train.points().to_vec();
    let labels = pair.source_train.labels().to_vec();
    let n = points.len();
    for p in &mut points[n - 4..] {
        *p = [f32::NAN, f32::NAN];
    }
    let poisoned = PointDataset::new(points, labels).unwrap();
    let device = Default::default();
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    // No shuffling: the poisoned batch is the last one of the epoch.
    let source = DataLoaderBuilder::new(PointBatcher)
        .batch_size(16)
        .build(poisoned);
    let mut trainer = DannTrainer::new(
        model,
        source,
        train_loader(pair.target_train.clone(), 16, 1),
        DannConfig::new().with_num_classes(2),
        &device,
    )
    .unwrap();
    let steps = trainer.steps_per_epoch();

    let mut steps_before = 0;
    let error = loop {
        match trainer.fit(1) {
            Ok(_) => steps_before = trainer.steps_done(),
            Err(error) => break error,
        }
        assert!(
            trainer.steps_done() < 10 * steps,
            "the poisoned batch was never reached"
        );
    };
    match error {
        TrainError::NonFiniteLoss { epoch, step, .. } => {
            assert_eq!(epoch, trainer.history().len() + 1);
            assert_eq!(step, n.div_ceil(16));
        }
        other => panic!("expected NonFiniteLoss, got {other:?}"),
    }
    // The steps before the poisoned one in the failing epoch did train; the poisoned one did
    // not (a NaN gradient would have spread into every weight), and nothing after it ran.
    assert_eq!(trainer.steps_done(), steps_before + n.div_ceil(16) - 1);
    assert!(parameters(trainer.model()).iter().all(|v| v.is_finite()));
    assert!(
        parameters(trainer.discriminator())
            .iter()
            .all(|v| v.is_finite())
    );
}
