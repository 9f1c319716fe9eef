//! A training job, for every backend: the method trained or chosen (a classifier here, a
//! regression in [`super::regress`]), and every output written.

// The program's warnings go to stderr.
#![allow(clippy::print_stderr)]

use burn::module::AutodiffModule;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{Sample, SampleBatcher, SampleDataset};
use shiftkit::device::OnBackend;
use shiftkit::methods::DannTrainer;
use shiftkit::nn::records::EncoderConfig;
use shiftkit::nn::{CnnEncoderConfig, MlpEncoderConfig};
use shiftkit::select::SelectConfig;
use shiftkit::train::TrainableEncoder;

use super::backbone::Pretrained;
use super::job::{
    Job, Outcome, candidates, domain_pair, guard_stops, run_spec, save_model, steps_per_second,
    warn_decoding,
};
use super::outputs::{SelectionBar, table, write_summary};
use super::plan::{Methods, cnn_size};
use super::predict::{predict, write_predictions};
use super::regress;
use super::{Failure, ModelKind, PREDICTIONS};
use crate::experiment::{PairBatcher, Run, RunRecord, train_and_evaluate};
use crate::latent;
use crate::report;
use crate::selection::{self, SelectionSpec, run_selection};

impl OnBackend for Job {
    type Output = Result<Outcome, Failure>;
    const ON_NDARRAY: bool = cfg!(feature = "ndarray");
    const ON_CUDA: bool = cfg!(feature = "cuda");
    const ON_WGPU: bool = cfg!(feature = "wgpu");

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output {
        // A regression has one output, the value.
        let classes = if self.data.task.is_regression() {
            1
        } else {
            self.data.classes.len()
        };
        match self.model {
            ModelKind::Mlp => {
                let config = MlpEncoderConfig::new()
                    .with_input_dim(self.data.source.item_len())
                    .with_num_classes(classes);
                train_with::<B, MlpEncoderConfig, 2>(self, config, device)
            }
            ModelKind::Cnn => {
                let (channels, size) =
                    cnn_size(self.data.source.shape()).ok_or("the CNN needs images")?;
                let config = CnnEncoderConfig::new()
                    .with_in_channels(channels)
                    .with_image_size(size)
                    .with_num_classes(classes);
                train_with::<B, CnnEncoderConfig, 4>(self, config, device)
            }
            ModelKind::Resnet18 | ModelKind::Resnet34 | ModelKind::Resnet50 => {
                let (channels, size) =
                    cnn_size(self.data.source.shape()).ok_or("a ResNet needs images")?;
                let config = self
                    .model
                    .resnet_config()
                    .ok_or("a ResNet's configuration")?
                    .with_in_channels(channels)
                    .with_image_size(size)
                    .with_num_classes(classes);
                let encoder = Pretrained {
                    config,
                    weights: self.weights.clone(),
                    frozen: self.freeze_backbone,
                };
                train_with::<B, Pretrained, 4>(self, encoder, device)
            }
        }
    }
}

/// Trains (or chooses) with encoder configuration `config` on items batched as rank `D`,
/// and writes every output: a regression in [`regress::train_values`], a classifier here.
fn train_with<B, C, const D: usize>(
    job: &Job,
    config: C,
    device: &B::Device,
) -> Result<Outcome, Failure>
where
    B: TrainingBackend,
    C: EncoderConfig,
    C::Encoder<B>: TrainableEncoder<B, D>,
    DannTrainer<B, C::Encoder<B>, D>: Send,
    SampleBatcher: PairBatcher<B, Sample, D>,
{
    if job.data.task.is_regression() {
        return regress::train_values::<B, C, D>(job, config, device);
    }
    let data = &job.data;
    let pair = domain_pair(job)?;
    let has_target_test = data.target_test.is_some();
    let batcher: SampleBatcher = data.source.batcher();
    let build = |device: &B::Device| config.build::<B>(device);
    let model_name = job.model.name();

    let (runs, chosen, model): (Vec<Run>, usize, C::Encoder<B>) = match &job.methods {
        Methods::One(method) => {
            let spec = run_spec(job, *method, method.configure(job.base.clone()));
            let (run, trainer) = train_and_evaluate::<B, _, Sample, SampleDataset, _, D>(
                &spec,
                &pair,
                batcher.clone(),
                build,
                device,
            )?;
            (vec![run], 0, trainer.model().clone())
        }
        Methods::Choose(methods) => {
            let guard_stops = guard_stops(job, &pair);
            let candidates = candidates(job, methods, guard_stops)?;
            let spec = SelectionSpec {
                model: model_name,
                seed: job.seed,
                batch_size: job.batch_size,
                length: job.length,
            };
            let select_config =
                SelectConfig::new(job.validator, 1).with_choose_epoch(job.choose_epoch);
            let mut bar = SelectionBar::new(candidates.len());
            let result = run_selection::<B, _, Sample, SampleDataset, _, D>(
                &spec,
                &candidates,
                select_config,
                &pair,
                batcher.clone(),
                build,
                device,
                |candidate, epoch, _, _| bar.scored(candidate, epoch),
            );
            bar.finish();
            let (record, selection) = result?;
            eprint!("\n{}", record.table());
            selection::write(&job.out.join("selection.json"), &record)?;
            let runs = selection
                .candidates
                .iter()
                .zip(&record.candidates)
                .map(|(trained, measured)| {
                    let seconds: f64 = trained.history.iter().map(|r| r.seconds).sum();
                    let method = trained.candidate.method;
                    Run {
                        spec: run_spec(job, method, trained.candidate.config.clone()),
                        record: RunRecord {
                            method: method.name(),
                            model: model_name,
                            seed: job.seed,
                            target_accuracy: measured.target_accuracy,
                            source_accuracy: measured.source_accuracy,
                            seconds,
                            steps_per_second: steps_per_second(&trained.history, seconds),
                        },
                        history: trained.history.clone(),
                    }
                })
                .collect();
            let model = selection.best().model.clone();
            (runs, selection.chosen, model)
        }
    };

    let out = &job.out;
    for run in &runs {
        report::write_run(out, run)?;
    }
    write_summary(out, &runs, chosen, has_target_test)?;
    let chosen_method = runs[chosen].spec.method;

    save_model::<B, C>(job, &model, &config, chosen_method)?;
    let valid = model.valid();
    let title = format!("{} {} seed {}", chosen_method.title(), model_name, job.seed);
    if let Err(error) = latent::draw_pair(
        &out.join("latent.png"),
        &title,
        &valid,
        &pair,
        batcher,
        device,
    ) {
        eprintln!("warning: no latent picture: {error}");
    }
    let predictions = predict::<B::InnerBackend, _, D>(&valid, &data.target, device)?;
    write_predictions(
        &out.join(PREDICTIONS),
        &data.target,
        &predictions,
        &data.classes,
    )?;
    warn_decoding(&pair);
    Ok(Outcome {
        table: table(&runs, chosen, has_target_test, &data.classes, &predictions),
    })
}
