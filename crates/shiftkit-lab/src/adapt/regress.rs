//! A regression's training: one method, or a label-free choice (validators `dev` and `iwcv`,
//! which weigh the held-out source rows' squared errors), each run measured by its errors on
//! the held-out source and the target test set; and every output written.

// The program's progress and warnings go to stderr.
#![allow(clippy::print_stderr)]

use std::time::Instant;

use burn::module::AutodiffModule;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{Sample, SampleBatcher, SampleDataset};
use shiftkit::methods::{DannTrainer, Method};
use shiftkit::nn::records::EncoderConfig;
use shiftkit::select::{SelectConfig, select};
use shiftkit::train::{EpochRecord, TrainableEncoder, evaluate_values};

use super::job::{
    Job, Outcome, candidates, domain_pair, guard_stops, run_spec, save_model, steps_per_second,
    warn_decoding,
};
use super::outputs::SelectionBar;
use super::plan::Methods;
use super::predict::{predict_values, write_values};
use super::value_outputs::{
    ValueCandidate, ValueRecord, ValueSelection, draw_by_domain, table, write_summary,
};
use super::{Failure, PREDICTIONS};
use crate::experiment::{Loaders, PairBatcher, Run, RunRecord, RunSpec, eval_loader};
use crate::latent::project;
use crate::progress::Progress;
use crate::report;
use crate::selection::{failed_records, params, warnings};

/// The inner (evaluation) module of encoder configuration `C` on backend `B`.
type Inner<B, C> = <<C as EncoderConfig>::Encoder<B> as AutodiffModule<B>>::InnerModule;

/// A regression's run: what it was, its record, its history.
struct ValueRun {
    spec: RunSpec,
    record: ValueRecord,
    history: Vec<EpochRecord>,
}

/// Trains (or chooses) a regression with encoder configuration `config` on items batched as
/// rank `D`, and writes every output.
///
/// # Errors
///
/// A refused configuration, a failed training step, or a file that cannot be written.
pub fn train_values<B, C, const D: usize>(
    job: &Job,
    encoder: C,
    device: &B::Device,
) -> Result<Outcome, Failure>
where
    B: TrainingBackend,
    C: EncoderConfig,
    C::Encoder<B>: TrainableEncoder<B, D>,
    DannTrainer<B, C::Encoder<B>, D>: Send,
    SampleBatcher: PairBatcher<B, Sample, D>,
{
    let data = &job.data;
    let pair = domain_pair(job)?;
    let batcher: SampleBatcher = data.source.batcher();
    let eval = |set: &SampleDataset| {
        eval_loader::<B::InnerBackend, Sample, SampleDataset, SampleBatcher, D>(
            set,
            batcher.clone(),
            device,
        )
    };
    let (source_val, target_test) = (eval(&pair.source_test), eval(&pair.target_test));
    let has_target_test = data.target_test.is_some();
    // The errors of a trained model: the target's with a labelled target test set only.
    let measure = |model: &Inner<B, C>| -> Result<ValueRecord, Failure> {
        let target = has_target_test
            .then(|| evaluate_values(model, target_test.as_ref(), "target-test"))
            .transpose()?;
        let source = evaluate_values(model, source_val.as_ref(), "source-test")?;
        let mut record = ValueRecord {
            method: "",
            model: job.model.name(),
            seed: job.seed,
            target_mae: None,
            target_rmse: None,
            target_r2: None,
            source_mae: 0.0,
            source_rmse: 0.0,
            source_r2: 0.0,
            seconds: 0.0,
            steps_per_second: 0.0,
        };
        record.errors(target.as_ref(), &source);
        Ok(record)
    };
    let trainer = |config| {
        crate::experiment::new_trainer(
            (pair.source_train.clone(), pair.target_train.clone()),
            Loaders::for_run(batcher.clone(), job.batch_size, job.seed),
            job.seed,
            config,
            |device: &B::Device| encoder.build::<B>(device),
            device,
        )
    };
    let timed =
        |record: ValueRecord, method: Method, history: &[EpochRecord], seconds: f64| ValueRecord {
            method: method.name(),
            seconds,
            steps_per_second: steps_per_second(history, seconds),
            ..record
        };

    let (runs, chosen, model): (Vec<ValueRun>, usize, C::Encoder<B>) = match &job.methods {
        Methods::One(method) => {
            let spec = run_spec(job, *method, method.configure(job.base.clone()));
            let trainer = trainer(spec.config.clone())?;
            let epochs = job.length.epochs(trainer.steps_per_epoch());
            let mut trainer = trainer.with_planned_epochs(epochs);
            let label = format!("{} {} seed {}", spec.method, spec.model, spec.seed);
            let mut progress = Progress::new(&label, epochs, trainer.steps_per_epoch());
            let started = Instant::now();
            trainer.fit_observed(epochs, &mut progress)?;
            let seconds = started.elapsed().as_secs_f64();
            let model = trainer.model().clone();
            let history = trainer.history().to_vec();
            let record = timed(measure(&model.valid())?, *method, &history, seconds);
            progress.finish(&format!(
                "target MAE {}  source MAE {:.4}  ({epochs} epochs, {} steps, {seconds:.1} s)",
                record
                    .target_mae
                    .map_or("-".to_string(), |x| format!("{x:.4}")),
                record.source_mae,
                trainer.steps_done(),
            ));
            let run = ValueRun {
                spec,
                record,
                history,
            };
            (vec![run], 0, model)
        }
        Methods::Choose(methods) => {
            let guard = guard_stops(job, &pair);
            let candidates = candidates(job, methods, guard)?;
            let steps_per_epoch = trainer(candidates[0].config.clone())?.steps_per_epoch();
            let mut config =
                SelectConfig::new(job.validator, 1).with_choose_epoch(job.choose_epoch);
            config.epochs = job.length.epochs(steps_per_epoch);
            let target_rows = eval(&pair.target_train);
            let mut bar = SelectionBar::new(candidates.len());
            let result = select(
                &candidates,
                |candidate| trainer(candidate.config.clone()),
                source_val.as_ref(),
                target_rows.as_ref(),
                &config,
                |candidate, epoch, _, _| bar.scored(candidate, epoch),
            );
            bar.finish();
            let selection = result?;
            let mut runs = Vec::with_capacity(selection.candidates.len());
            let mut records = Vec::with_capacity(selection.candidates.len());
            for trained in &selection.candidates {
                let method = trained.candidate.method;
                let seconds = trained.history.iter().map(|r| r.seconds).sum();
                let record = timed(
                    measure(&trained.model.valid())?,
                    method,
                    &trained.history,
                    seconds,
                );
                records.push(ValueCandidate {
                    label: trained.candidate.label(),
                    params: params(&trained.candidate),
                    score: trained.kept.score,
                    epoch: trained.kept.epoch,
                    eligible: trained.eligible,
                    errors: record.clone(),
                });
                runs.push(ValueRun {
                    spec: run_spec(job, method, trained.candidate.config.clone()),
                    record,
                    history: trained.history.clone(),
                });
            }
            let record = ValueSelection {
                validator: selection.validator.name().to_string(),
                model: job.model.name(),
                seed: job.seed,
                task: "regression",
                candidates: records,
                chosen: selection.chosen,
                failed: failed_records(&selection),
                warnings: warnings(&selection),
            };
            eprint!("\n{}", record.table());
            report::write_json(&job.out.join("selection.json"), &record)?;
            (runs, selection.chosen, selection.best().model.clone())
        }
    };
    let records = write_runs(job, &runs, chosen)?;
    let method = runs[chosen].spec.method;
    save_model::<B, C>(job, &model, &encoder, method)?;

    let valid = model.valid();
    let title = format!("{} {} seed {}", method.title(), job.model.name(), job.seed);
    let drawn = project(&valid, source_val.as_ref(), target_test.as_ref())
        .and_then(|projection| draw_by_domain(&job.out.join("latent.png"), &title, &projection));
    if let Err(error) = drawn {
        eprintln!("warning: no latent picture: {error}");
    }
    let predictions = predict_values::<B::InnerBackend, _, D>(&valid, &data.target, device)?;
    write_values(&job.out.join(PREDICTIONS), &data.target, &predictions)?;
    warn_decoding(&pair);
    Ok(Outcome {
        table: table(&records, chosen, &predictions),
    })
}

/// Writes a regression's runs: each run's history and curves, and `summary.json`; returns
/// their records.
fn write_runs(job: &Job, runs: &[ValueRun], chosen: usize) -> Result<Vec<ValueRecord>, Failure> {
    let out = &job.out;
    for run in runs {
        // The curves' accuracy panel reads 0 for a regression (its history has no accuracies).
        report::write_run(
            out,
            &Run {
                spec: run.spec.clone(),
                record: RunRecord {
                    method: run.record.method,
                    model: run.record.model,
                    seed: run.record.seed,
                    target_accuracy: 0.0,
                    source_accuracy: 0.0,
                    seconds: run.record.seconds,
                    steps_per_second: run.record.steps_per_second,
                },
                history: run.history.clone(),
            },
        )?;
    }
    let records: Vec<ValueRecord> = runs.iter().map(|r| r.record.clone()).collect();
    write_summary(out, &records, chosen)?;
    Ok(records)
}
