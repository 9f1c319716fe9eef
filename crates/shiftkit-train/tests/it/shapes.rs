//! Fixed batch shapes: with `BatchShapes::Fixed` every training batch has the loader's batch
//! size; `Auto` is `AsLoaded` on the CPU backends.

use std::sync::{Arc, Mutex};

use crate::common;
use common::{B, Trainer, moons, serial, train_loader};
use shiftkit_nn::ShallowEncoderConfig;
use shiftkit_train::terms::{AdaptationTerm, TermInputs, TermOutput};
use shiftkit_train::{BatchShapes, DannConfig, DannTrainer, Method, TrainError};

/// The source and target batch lengths of every step.
type Seen = Arc<Mutex<Vec<(usize, usize)>>>;

/// A term that records the batch lengths of every step and adds nothing to the loss.
struct Lengths(Seen);

impl AdaptationTerm<B> for Lengths {
    fn name(&self) -> &str {
        "lengths"
    }

    fn weight(&self, _progress: f64) -> f64 {
        0.0
    }

    fn loss(&mut self, inputs: &TermInputs<'_, B>) -> Result<TermOutput<B>, TrainError> {
        let n = |t: &burn::tensor::Tensor<B, 2>| t.dims()[0];
        self.0
            .lock()
            .unwrap()
            .push((n(inputs.source_features), n(inputs.target_features)));
        Ok(TermOutput::loss(
            inputs.source_features.clone().sum().mul_scalar(0.0),
        ))
    }
}

const BATCH: usize = 25;

/// A DANN trainer on moons in batches of [`BATCH`] (both domains end in a partial batch), with
/// the recording term.
fn trainer(shapes: BatchShapes) -> (Trainer, Seen, [usize; 2]) {
    let pair = moons(5);
    let sizes = [pair.source_train.len(), pair.target_train.len()];
    assert!(sizes.iter().all(|n| n % BATCH != 0), "{sizes:?}");
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 5);
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    let config = Method::Dann
        .configure(DannConfig::new())
        .with_num_classes(2)
        .with_batch_shapes(shapes);
    let lengths = Arc::new(Mutex::new(Vec::new()));
    let trainer = DannTrainer::new(
        model,
        train_loader(pair.source_train, BATCH, 1),
        train_loader(pair.target_train, BATCH, 2),
        config,
        &device,
    )
    .unwrap()
    .with_term(Lengths(lengths.clone()))
    .unwrap();
    (trainer, lengths, sizes)
}

#[test]
fn fixed_shapes_train_on_full_batches_only() {
    let _serial = serial();
    let (mut trainer, lengths, [n_s, n_t]) = trainer(BatchShapes::Fixed);
    // Cycled pairing: the longer loader's full batches make the epoch.
    assert_eq!(trainer.steps_per_epoch(), (n_s / BATCH).max(n_t / BATCH));
    trainer.fit(3).unwrap();
    let lengths = lengths.lock().unwrap();
    assert_eq!(lengths.len(), 3 * trainer.steps_per_epoch());
    assert!(lengths.iter().all(|&l| l == (BATCH, BATCH)), "{lengths:?}");
}

#[test]
fn as_loaded_and_auto_on_the_cpu_take_the_partial_batches_too() {
    let _serial = serial();
    let mut histories = Vec::new();
    for shapes in [BatchShapes::AsLoaded, BatchShapes::Auto] {
        let (mut trainer, lengths, [n_s, n_t]) = trainer(shapes);
        assert_eq!(
            trainer.steps_per_epoch(),
            n_s.div_ceil(BATCH).max(n_t.div_ceil(BATCH))
        );
        histories.push(trainer.fit(2).unwrap());
        let lengths = lengths.lock().unwrap();
        assert!(lengths.iter().any(|&(s, t)| s < BATCH || t < BATCH));
    }
    // Seconds aside, the two runs are one.
    let strip = |h: &Vec<shiftkit_train::EpochRecord>| {
        h.iter()
            .map(|r| (r.total_loss, r.src_acc, r.tgt_acc))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&histories[0]), strip(&histories[1]));
}
