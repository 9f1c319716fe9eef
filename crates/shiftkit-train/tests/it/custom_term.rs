//! An adaptation term written outside the crate trains through the same trainer: its loss is
//! weighed into the step, reported in the history under its name, and its state is committed
//! once per applied step.

use crate::common;

use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::AutodiffBackend;
use common::{B, Trainer, moons, moons_trainer, parameters, serial};
use shiftkit_data::MoonsPair;
use shiftkit_nn::DomainDiscriminatorConfig;
use shiftkit_train::terms::{AdaptationTerm, TermInputs, TermOutput};
use shiftkit_train::{DannConfig, Method, TrainError};

/// Entropy minimisation on the target predictions, with a count of committed steps as state.
struct TargetEntropy {
    weight: f64,
    committed: usize,
    pending: usize,
}

impl TargetEntropy {
    /// The term at `weight`, nothing committed yet.
    fn new(weight: f64) -> Self {
        Self {
            weight,
            committed: 0,
            pending: 0,
        }
    }
}

impl<B: AutodiffBackend> AdaptationTerm<B> for TargetEntropy {
    fn name(&self) -> &str {
        "target_entropy"
    }

    fn weight(&self, _progress: f64) -> f64 {
        self.weight
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let logits = inputs.target_logits();
        let entropy = (softmax(logits.clone(), 1) * log_softmax(logits, 1))
            .sum_dim(1)
            .mean()
            .neg();
        self.pending = 1;
        Ok(TermOutput::loss(entropy))
    }

    fn commit(&mut self) {
        self.committed += std::mem::take(&mut self.pending);
    }

    fn discard(&mut self) {
        self.pending = 0;
    }
}

fn source_only() -> DannConfig {
    Method::SourceOnly.configure(DannConfig::new())
}

/// A source-only trainer on the moons of `seed` with one more term, [`TargetEntropy`] at
/// `weight`.
fn with_entropy(pair: &MoonsPair, weight: f64, seed: u64) -> Trainer {
    moons_trainer(pair, source_only(), seed)
        .with_term(TargetEntropy::new(weight))
        .unwrap()
}

#[test]
fn a_term_of_ones_own_trains_through_the_trainer() {
    let _serial = serial();
    let pair = moons(0);
    let mut trainer = with_entropy(&pair, 1.0, 0);
    let history = trainer.fit(3).unwrap();

    let term = trainer.term::<TargetEntropy>().expect("the term is kept");
    assert_eq!(
        term.committed,
        trainer.steps_done(),
        "one commit per applied step"
    );
    let names: Vec<&str> = trainer.terms().map(|t| t.name()).collect();
    assert_eq!(names, ["target_entropy"]);
    for record in &history {
        let value = record.losses["target_entropy"];
        assert!(value.is_finite() && value > 0.0, "{value}");
    }
    // Entropy minimisation makes the target predictions more confident over training.
    assert!(history[2].losses["target_entropy"] < history[0].losses["target_entropy"]);

    // And it changed the model: the same run without it ends elsewhere.
    let mut plain = moons_trainer(&pair, source_only(), 0);
    plain.fit(3).unwrap();
    assert_ne!(parameters(plain.model()), parameters(trainer.model()));
}

#[test]
fn a_term_at_weight_zero_leaves_training_as_it_was() {
    let _serial = serial();
    let pair = moons(1);
    let mut with = with_entropy(&pair, 0.0, 1);
    let mut without = moons_trainer(&pair, source_only(), 1);
    with.fit(2).unwrap();
    without.fit(2).unwrap();
    assert_eq!(parameters(with.model()), parameters(without.model()));
}

/// A term that asks for the discriminator.
struct Adversary;

impl<B: AutodiffBackend> AdaptationTerm<B> for Adversary {
    fn name(&self) -> &str {
        "my_adversary"
    }

    fn weight(&self, _progress: f64) -> f64 {
        1.0
    }

    fn head_input(&self, latent_dim: usize, _num_classes: usize) -> Option<usize> {
        Some(latent_dim)
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let head = inputs.head().expect("asked for");
        Ok(TermOutput::loss(head.forward(inputs.features()).mean()))
    }
}

#[test]
fn one_discriminator_per_run() {
    let _serial = serial();
    let pair = moons(0);
    let dann = Method::Dann.configure(DannConfig::new());
    let result = moons_trainer(&pair, dann, 0).with_term(Adversary);
    assert!(matches!(
        result.err(),
        Some(TrainError::HeadTaken { first, second }) if first == "domain" && second == "my_adversary"
    ));
    // Without DANN, the term gets the discriminator and trains it.
    let mut trainer = moons_trainer(&pair, source_only(), 0)
        .with_term(Adversary)
        .unwrap();
    let before = parameters(trainer.discriminator());
    trainer.fit(1).unwrap();
    assert_ne!(before, parameters(trainer.discriminator()));
}

/// A term that does not ask for the discriminator, and notes whether it was given it.
struct Bystander(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl<B: AutodiffBackend> AdaptationTerm<B> for Bystander {
    fn name(&self) -> &str {
        "bystander"
    }

    fn weight(&self, _progress: f64) -> f64 {
        1.0
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        if inputs.head().is_some() {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(TermOutput::loss(inputs.features().sum().mul_scalar(0.0)))
    }
}

#[test]
fn the_discriminator_is_given_only_to_the_term_it_belongs_to() {
    let _serial = serial();
    let pair = moons(0);
    let given = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let dann = Method::Dann.configure(DannConfig::new());
    let mut trainer = moons_trainer(&pair, dann, 0)
        .with_term(Bystander(given.clone()))
        .unwrap();
    let before = parameters(trainer.discriminator());
    trainer.fit(1).unwrap();
    // DANN's term, its owner, trained it; the other term never saw it.
    assert_ne!(before, parameters(trainer.discriminator()));
    assert!(!given.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
fn a_second_term_of_the_same_name_is_an_error() {
    let _serial = serial();
    let pair = moons(0);
    let flag = || Bystander(std::sync::Arc::default());
    let trainer = moons_trainer(&pair, source_only(), 0)
        .with_term(flag())
        .unwrap();
    assert!(matches!(
        trainer.with_term(flag()).err(),
        Some(TrainError::TermName { name }) if name == "bystander"
    ));
    // Nor may a term take a configured term's name: DANN's is "domain".
    struct Named;
    impl<B: AutodiffBackend> AdaptationTerm<B> for Named {
        fn name(&self) -> &str {
            "domain"
        }
        fn weight(&self, _progress: f64) -> f64 {
            1.0
        }
        fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
            Ok(TermOutput::loss(inputs.features().sum().mul_scalar(0.0)))
        }
    }
    let dann = Method::Dann.configure(DannConfig::new());
    assert!(matches!(
        moons_trainer(&pair, dann, 0).with_term(Named).err(),
        Some(TrainError::TermName { name }) if name == "domain"
    ));
}

#[test]
fn a_refused_term_or_discriminator_leaves_the_trainer_as_it_was() {
    let _serial = serial();
    let pair = moons(0);
    let dann = || Method::Dann.configure(DannConfig::new());
    let flag = || Bystander(std::sync::Arc::default());
    let mut trainer = moons_trainer(&pair, dann(), 0);
    trainer.add_term(flag()).unwrap();
    assert!(matches!(
        trainer.add_term(flag()),
        Err(TrainError::TermName { .. })
    ));
    assert!(matches!(
        trainer.add_term(Adversary),
        Err(TrainError::HeadTaken { .. })
    ));
    let wrong = DomainDiscriminatorConfig::new(7)
        .init::<B>(&Default::default())
        .unwrap();
    assert!(matches!(
        trainer.set_discriminator(wrong),
        Err(TrainError::LatentDimMismatch {
            discriminator: 7,
            ..
        })
    ));
    // It trains exactly as the trainer that was never refused anything.
    let mut untouched = moons_trainer(&pair, dann(), 0).with_term(flag()).unwrap();
    trainer.fit(2).unwrap();
    untouched.fit(2).unwrap();
    assert_eq!(parameters(trainer.model()), parameters(untouched.model()));
    assert_eq!(
        parameters(trainer.discriminator()),
        parameters(untouched.discriminator())
    );
}

#[test]
fn terms_and_the_discriminator_are_set_before_training() {
    let _serial = serial();
    let pair = moons(0);
    let mut trainer = moons_trainer(&pair, source_only(), 0);
    trainer.fit(1).unwrap();
    let steps = trainer.steps_done();
    let discriminator = trainer.discriminator().clone();
    let mut again = moons_trainer(&pair, source_only(), 0);
    again.fit(1).unwrap();
    assert!(matches!(
        trainer.with_term(Bystander(std::sync::Arc::default())).err(),
        Some(TrainError::Trained { steps: s }) if s == steps
    ));
    assert!(matches!(
        again.with_discriminator(discriminator).err(),
        Some(TrainError::Trained { steps: s }) if s == steps
    ));
}
