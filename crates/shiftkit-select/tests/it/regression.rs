//! The label-free choice of a regression: scored by the importance-weighted source errors
//! (IWCV, DEV); the validators of class predictions refuse.

use crate::common;

use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::tensor::backend::Backend;
use common::{B, moons, serial};
use shiftkit_data::{DomainBatch, Label, MoonsPair, SampleDataset};
use shiftkit_nn::ShallowEncoderConfig;
use shiftkit_select::{SelectConfig, SelectError, grid, select};
use shiftkit_train::{DannConfig, DannTrainer, Method, Task};
use shiftkit_validate::{ValidateError, Validator};

/// Points labelled with a smooth function of both coordinates (or unlabelled).
fn values(points: &[[f32; 2]], labelled: bool) -> SampleDataset {
    let flat = points.iter().flatten().copied().collect();
    let labels = points
        .iter()
        .map(|&[x, y]| match labelled {
            true => Label::Value(x - 0.5 * y + 0.3 * x * y),
            false => Label::None,
        })
        .collect();
    SampleDataset::from_values(flat, vec![2], labels, None).unwrap()
}

fn loader<Bk: Backend>(
    data: SampleDataset,
    shuffle: u64,
) -> Arc<dyn DataLoader<Bk, DomainBatch<Bk, 2>>> {
    DataLoaderBuilder::new(data.batcher())
        .batch_size(32)
        .shuffle(shuffle)
        .build(data)
}

fn choose(
    pair: &MoonsPair,
    validator: Validator,
) -> Result<shiftkit_select::Selection<shiftkit_nn::ShallowEncoder<B>>, SelectError> {
    let base = DannConfig::new()
        .with_lr(0.02)
        .with_num_classes(1)
        .with_task(Task::REGRESSION);
    let candidates = grid(&[Method::Dann, Method::Mmd, Method::Coral], &base, &[]).unwrap();
    select(
        &candidates,
        |candidate| {
            let device = Default::default();
            B::seed(&device, 0);
            let model = ShallowEncoderConfig::new()
                .with_num_classes(1)
                .init::<B>(&device)?;
            DannTrainer::new(
                model,
                loader(values(pair.source_train.points(), true), 1),
                loader(values(pair.target_train.points(), false), 2),
                candidate.config.clone(),
                &device,
            )
        },
        loader(values(pair.source_test.points(), true), 3).as_ref(),
        loader(values(pair.target_train.points(), false), 4).as_ref(),
        &SelectConfig::new(validator, 4),
        |_, _, _, _| {},
    )
}

#[test]
fn a_regression_is_chosen_by_its_weighted_source_errors() {
    let _serial = serial();
    let pair = moons(2);
    let selection = choose(&pair, Validator::Dev).unwrap();
    let labels: Vec<String> = selection
        .candidates
        .iter()
        .map(|t| t.candidate.label())
        .collect();
    assert_eq!(labels, ["source_only", "dann", "mmd", "coral"]);
    for trained in &selection.candidates {
        // A score is minus a risk of squared errors: finite and at most 0.
        assert!(
            trained.kept.score.is_finite() && trained.kept.score <= 0.0,
            "{trained:?}"
        );
    }
    assert!(selection.chosen < 4);
    // IM reads class predictions, which a regression has not.
    assert!(matches!(
        choose(&pair, Validator::Im),
        Err(SelectError::Validate {
            source: ValidateError::NeedsClasses { validator: "im" },
            ..
        })
    ));
}
