//! Every bad input is a typed error, found before training starts (non-finite inputs included);
//! a non-finite loss stops training with the model as it was at the last read of the device.

use crate::common;
use common::serial;

use burn::data::dataloader::DataLoaderBuilder;
use common::{B, Poison, moons, parameters, seeded_trainer, train_loader};
use shiftkit_align::{AlignError, MmdConfig};
use shiftkit_data::{PointBatcher, PointDataset};
use shiftkit_nn::{DomainDiscriminatorConfig, NnError, ShallowEncoderConfig};
use shiftkit_train::terms::{
    CentroidAlignmentConfig, ClassConfusionConfig, ConditionalAdversarialConfig,
    CovarianceAlignmentConfig, MeanDiscrepancyConfig, TermConfig,
};
use shiftkit_train::{DannConfig, DannTrainer, DeviceReads, READ_EVERY, TrainError};

/// A trainer with the shallow network on loaders of `source` and `target`, built under the
/// generator lock (building draws the initial weights).
fn build(
    config: DannConfig,
    source: PointDataset,
    target: PointDataset,
) -> Result<common::Trainer, TrainError> {
    let _serial = serial();
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

/// [`build`] on the moons pair of seed 0.
fn build_on_moons(config: DannConfig) -> Result<common::Trainer, TrainError> {
    let pair = moons(0);
    build(config, pair.source_train, pair.target_train)
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
        ("track_every", base.clone().with_track_every(0)),
        (
            "mmd_weight",
            with_term(
                &base,
                TermConfig::Mmd(MeanDiscrepancyConfig::new().with_weight(-1.0)),
            ),
        ),
        (
            "coral_weight",
            with_term(
                &base,
                TermConfig::Coral(CovarianceAlignmentConfig::new().with_weight(f64::INFINITY)),
            ),
        ),
        (
            "mcc_weight",
            with_term(
                &base,
                TermConfig::Mcc(ClassConfusionConfig::new().with_weight(f64::NAN)),
            ),
        ),
        (
            "mcc_temperature",
            with_term(
                &base,
                TermConfig::Mcc(ClassConfusionConfig::new().with_temperature(0.0)),
            ),
        ),
        (
            "cdan.random_dim",
            with_term(
                &base,
                TermConfig::Cdan(ConditionalAdversarialConfig::new().with_random_dim(0)),
            ),
        ),
        (
            "pseudo_label_confidence",
            with_term(
                &base,
                TermConfig::Mstn(CentroidAlignmentConfig::new().with_pseudo_label_confidence(2.0)),
            ),
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
    for (name, config) in cases {
        match build_on_moons(config) {
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
    let run = |config: DannConfig| build_on_moons(config).err();
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
        run(with_term(
            &base,
            TermConfig::Mmd(
                MeanDiscrepancyConfig::new().with_kernels(MmdConfig::new().with_sigmas(vec![]))
            )
        )),
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
    assert!(matches!(
        build_on_moons(DannConfig::new()),
        Err(TrainError::ClassCountMismatch {
            config: 10,
            model: 2
        })
    ));
}

#[test]
fn labels_outside_the_classes_are_an_error() {
    let bad = PointDataset::new(vec![[0.0, 0.0], [1.0, 1.0]], vec![0, 5]).unwrap();
    assert!(matches!(
        build(
            DannConfig::new().with_num_classes(2),
            bad,
            moons(0).target_train
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
    let _serial = serial();
    let trainer = seeded_trainer(DannConfig::new(), 0);
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
fn non_finite_inputs_are_refused_before_training() {
    let _serial = serial();
    let pair = moons(0);
    // A source set whose last points are NaN.
    let mut points = pair.source_train.points().to_vec();
    let labels = pair.source_train.labels().to_vec();
    let n = points.len();
    for p in &mut points[n - 4..] {
        *p = [f32::NAN, f32::NAN];
    }
    let poisoned = PointDataset::new(points, labels).unwrap();
    let device = Default::default();
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    let source = DataLoaderBuilder::new(PointBatcher)
        .batch_size(16)
        .build(poisoned);
    let result = DannTrainer::new(
        model,
        source,
        train_loader(pair.target_train.clone(), 16, 1),
        DannConfig::new().with_num_classes(2),
        &device,
    );
    assert!(matches!(
        result,
        Err(TrainError::NonFiniteInput { domain, batch }) if domain == "source" && batch == n.div_ceil(16)
    ));
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_model() {
    for reads in [DeviceReads::EveryStep, DeviceReads::Windowed] {
        let _serial = serial();
        let mut trainer = seeded_trainer(DannConfig::new().with_device_reads(reads), 0);
        let steps = trainer.steps_per_epoch();
        // The NaN comes in the middle of the second epoch.
        let at = steps + steps / 2;
        trainer = trainer.with_term(Poison::at(at)).unwrap();

        trainer.fit(1).unwrap();
        let steps_before = trainer.steps_done();
        let weights_before = parameters(trainer.model());
        match trainer.fit(1) {
            Err(TrainError::NonFiniteLoss {
                term, epoch, step, ..
            }) => {
                assert_eq!(term, "poison");
                assert_eq!(epoch, 2);
                assert_eq!(step, steps / 2);
            }
            other => panic!("{reads:?}: expected NonFiniteLoss, got {other:?}"),
        }
        assert_eq!(trainer.history().len(), 1);
        let weights = parameters(trainer.model());
        assert!(weights.iter().all(|v| v.is_finite()), "{reads:?}");
        assert!(
            parameters(trainer.discriminator())
                .iter()
                .all(|v| v.is_finite())
        );
        if reads == DeviceReads::EveryStep {
            // Each step is read before it is applied: the good steps before the NaN stay.
            assert_eq!(trainer.steps_done(), at - 1);
            assert_ne!(weights, weights_before);
        } else {
            // `fit` reads the losses once per window of READ_EVERY steps (more than this
            // epoch's): the trainer is back where the epoch's window began, after the first
            // epoch, and the NaN gradient, which spread into every weight, is gone with the
            // window.
            assert!(steps <= READ_EVERY);
            assert_eq!(trainer.steps_done(), steps_before);
            assert_eq!(weights, weights_before);
        }
    }
}

#[test]
fn terms_built_by_hand_check_their_ramps() {
    use shiftkit_align::CentroidAlignerConfig;
    use shiftkit_train::terms::{CentroidAlignment, DomainAdversarial};
    let device = Default::default();
    let aligner = CentroidAlignerConfig::new(8, 2);
    for gamma in [0.0, -10.0, f64::NAN] {
        let mstn = CentroidAlignment::<B>::new(0.5, Some(gamma), 0.0, &aligner, &device);
        let dann = DomainAdversarial::<B>::new(0.3, 1.0, Some(gamma));
        for error in [mstn.err(), dann.err()] {
            assert!(
                matches!(
                    error,
                    Some(TrainError::InvalidHyperParameter { name: "gamma", .. })
                ),
                "{gamma}: {error:?}"
            );
        }
    }
    assert!(CentroidAlignment::<B>::new(0.5, Some(10.0), 0.0, &aligner, &device).is_ok());
}

/// `base` with `term` added to its list.
fn with_term(base: &DannConfig, term: TermConfig) -> DannConfig {
    let mut terms = base.terms.clone();
    terms.push(term);
    base.clone().with_terms(terms)
}
