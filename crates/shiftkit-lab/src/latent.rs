//! Pictures of the latent space: the features of source and target test rows projected on
//! their first two principal components, coloured by domain and by predicted class, with the
//! proxy A-distance between the domains' features in the title.

use std::error::Error;
use std::path::Path;

use burn::data::dataloader::DataLoader;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use plotters::prelude::*;
use shiftkit::data::{DomainBatch, DomainPair};
use shiftkit::nn::Encoder;
use shiftkit::select::validation_inputs;
use shiftkit::validate::{DomainClassifierConfig, Pca2, ValidationInputs, proxy_a_distance};

use crate::experiment::{Item, eval_loader};
use crate::plot::{Area, CLASS_PALETTE, Group, PALETTE, scatter_chart};

/// Rows of each domain drawn.
pub const ROWS: usize = 500;

/// [`draw`] on the test sets of `pair`, batched by `batcher` on `device`.
///
/// # Errors
///
/// As [`draw`].
pub fn draw_pair<B, M, I, Ds, Bt, const D: usize>(
    path: &Path,
    title: &str,
    model: &M,
    pair: &DomainPair<Ds>,
    batcher: Bt,
    device: &B::Device,
) -> Result<f64, Box<dyn Error>>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
    Bt: Batcher<B, I, DomainBatch<B, D>> + Clone + 'static,
    I: Item,
    Ds: Dataset<I> + Clone + 'static,
{
    let source = eval_loader(&pair.source_test, batcher.clone(), device);
    let target = eval_loader(&pair.target_test, batcher, device);
    draw(path, title, model, source.as_ref(), target.as_ref())
}

/// `model`'s features (evaluation mode) for the first [`ROWS`] rows of a source and a
/// target, projected on their first two principal components.
pub struct Projection<B: Backend> {
    /// The model's outputs for the rows.
    pub inputs: ValidationInputs<B>,
    /// The proxy A-distance of the two feature sets.
    pub pad: f64,
    /// The axes' labels, with each component's variance.
    pub axes: (String, String),
    /// The source rows' points.
    pub source: Vec<(f64, f64)>,
    /// The target rows' points.
    pub target: Vec<(f64, f64)>,
}

/// [`Projection`] of `model`'s features for the first [`ROWS`] rows of `source` and of
/// `target`.
///
/// # Errors
///
/// The features cannot be computed or projected.
pub fn project<B, M, const D: usize>(
    model: &M,
    source: &dyn DataLoader<B, DomainBatch<B, D>>,
    target: &dyn DataLoader<B, DomainBatch<B, D>>,
) -> Result<Projection<B>, Box<dyn Error>>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let inputs = validation_inputs(model, source, target, ROWS)?;
    let (zs, zt) = (inputs.source_features(), inputs.target_features());
    let pad = proxy_a_distance(zs, zt, &DomainClassifierConfig::new())?;
    let pca = Pca2::fit(&Tensor::cat(vec![zs.clone(), zt.clone()], 0))?;
    let points = |z: &Tensor<B, 2>| -> Result<Vec<(f64, f64)>, Box<dyn Error>> {
        Ok(pca
            .project(z)?
            .into_iter()
            .map(|[x, y]| (f64::from(x), f64::from(y)))
            .collect())
    };
    let (source, target) = (points(zs)?, points(zt)?);
    let variance = pca.variances();
    let axes = (
        format!("PC 1 (variance {:.2})", variance[0]),
        format!("PC 2 (variance {:.2})", variance[1]),
    );
    Ok(Projection {
        inputs,
        pad,
        axes,
        source,
        target,
    })
}

/// Draws `projection`'s points coloured by domain into `area`, under `title`.
///
/// # Errors
///
/// Drawing failed.
pub fn by_domain<B: Backend>(
    area: &Area<'_>,
    title: &str,
    projection: &Projection<B>,
) -> Result<(), Box<dyn Error>> {
    scatter_chart(
        area,
        &format!(
            "{title}: by domain (proxy A-distance {:.2})",
            projection.pad
        ),
        (&projection.axes.0, &projection.axes.1),
        &[
            Group {
                name: "source".into(),
                color: PALETTE[0],
                points: &projection.source,
            },
            Group {
                name: "target".into(),
                color: PALETTE[1],
                points: &projection.target,
            },
        ],
    )
}

/// Draws `model`'s latent space (evaluation mode) for the first [`ROWS`] rows of `source` and
/// of `target` into a PNG at `path`: left, coloured by domain; right, by predicted class
/// (target labels are not read). Returns the proxy A-distance of the two feature sets.
///
/// # Errors
///
/// The features cannot be computed, or drawing failed.
pub fn draw<B, M, const D: usize>(
    path: &Path,
    title: &str,
    model: &M,
    source: &dyn DataLoader<B, DomainBatch<B, D>>,
    target: &dyn DataLoader<B, DomainBatch<B, D>>,
) -> Result<f64, Box<dyn Error>>
where
    B: Backend,
    M: Encoder<B, Input = Tensor<B, D>>,
{
    let projection = project(model, source, target)?;
    let inputs = &projection.inputs;
    let predicted = |logits: &Tensor<B, 2>| -> Vec<usize> {
        let data: TensorData = logits.clone().argmax(1).into_data();
        data.iter::<i64>().map(|c| c as usize).collect()
    };
    let classes: Vec<usize> = predicted(inputs.source_logits())
        .into_iter()
        .chain(predicted(inputs.target_logits()))
        .collect();
    let all: Vec<(f64, f64)> = projection
        .source
        .iter()
        .chain(&projection.target)
        .copied()
        .collect();
    let by_class: Vec<Vec<(f64, f64)>> = (0..CLASS_PALETTE.len())
        .map(|k| {
            all.iter()
                .zip(&classes)
                .filter(|(_, c)| **c == k)
                .map(|(p, _)| *p)
                .collect()
        })
        .collect();

    let root = BitMapBackend::new(path, (1240, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(620);
    by_domain(&left, title, &projection)?;
    let groups: Vec<Group<'_>> = by_class
        .iter()
        .enumerate()
        .filter(|(_, points)| !points.is_empty())
        .map(|(k, points)| Group {
            name: format!("class {k}"),
            color: CLASS_PALETTE[k],
            points,
        })
        .collect();
    scatter_chart(
        &right,
        &format!("{title}: by predicted class"),
        (&projection.axes.0, &projection.axes.1),
        &groups,
    )?;
    root.present()?;
    Ok(projection.pad)
}
