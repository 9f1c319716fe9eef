//! Data-parallel training is exact: 2 peers with batch `b` each train the model one process
//! trains with batch `2b` (a BN-free network, no dropout), for DANN and DANN+MSTN, as threads of
//! one process and as two processes over loopback (restarted from their checkpoints when the
//! collective engine fails them: see below).
//!
//! The union batch of step `k` is rows `2bk .. 2b(k + 1)` of each domain, unshuffled; peer `r`
//! holds rows `2bk + rb .. 2bk + (r + 1)b`. After 20 steps (two epochs) losses, accuracies,
//! MSTN's target centroids and every parameter agree to [`TOLERANCE`]: what differs is the
//! order of floating-point sums (a mean over 64 rows against the mean of two means over 32).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoaderBuilder;
use serde::{Deserialize, Serialize};
use shiftkit_data::{PointBatcher, PointDataset};
use shiftkit_nn::ShallowEncoderConfig;
use shiftkit_peers::{Nodes, PeerConfig};
use shiftkit_train::checkpoint::{CheckpointError, Checkpoints};
use shiftkit_train::terms::{AdaptationTerm, TermInputs, TermOutput};
use shiftkit_train::{DannConfig, DannTrainer, EpochRecord, TrainError};

use shiftkit_data::MoonsPair;
use shiftkit_data::moons::MoonsConfig;

use burn::tensor::{Tensor, TensorPrimitive};

use crate::common::{B, Inner, Loader, Scratch, parameters, serial, train_loader};

/// The moons pair with 800 training points per domain, enough for [`STEPS`] union batches.
fn moons(seed: u64) -> MoonsPair {
    MoonsConfig::new()
        .with_seed(seed)
        .with_n_samples(1000)
        .init()
        .unwrap()
}

/// Per-peer batch.
const BATCH: usize = 32;
/// Steps per epoch of the union batch `2 BATCH`; two epochs make the 20 steps.
const STEPS: usize = 10;
/// Largest difference allowed between one process and two peers, on any compared number.
const TOLERANCE: f64 = 1e-5;

/// What a run leaves, to compare.
#[derive(Debug, Serialize, Deserialize)]
struct Outcome {
    /// Per epoch: cross-entropy, domain loss, semantic loss, source and target accuracy.
    history: Vec<[f64; 5]>,
    /// Encoder and discriminator parameters.
    parameters: Vec<f32>,
    /// MSTN's target centroids (empty for DANN).
    centroids: Vec<f32>,
}

/// DANN, or DANN+MSTN, without dropout (for the exactness tests) or with.
fn config(mstn: bool, dropout: f64) -> DannConfig {
    let config = DannConfig::new()
        .with_num_classes(2)
        .with_seed(3)
        .with_lr(0.01)
        .with_discriminator_dropout(dropout);
    if mstn {
        config.with_semantic_weight(0.5)
    } else {
        config
    }
}

/// The rows of `data` that peer `rank` of `peers` holds (all of them for one peer, batches of
/// `batch`), in order.
fn shard(data: &PointDataset, rank: usize, peers: usize, batch: usize) -> PointDataset {
    let rows: Vec<usize> = (0..STEPS * batch * peers)
        .filter(|i| (i / batch) % peers == rank)
        .collect();
    data.subset(&rows).unwrap()
}

type Trainer = DannTrainer<B, shiftkit_nn::ShallowEncoder<B>, 2>;

/// Peer `rank`'s trainer, with batch `BATCH` (`2 BATCH` alone), its network seeded.
fn trainer(config: DannConfig, rank: usize, peers: usize) -> Trainer {
    let pair = moons(7);
    let batch = BATCH * 2 / peers;
    let loader = |data: &PointDataset| -> Loader {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(batch)
            .build(shard(data, rank, peers, batch))
    };
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 3);
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    DannTrainer::new(
        model,
        loader(&pair.source_train),
        loader(&pair.target_train),
        config,
        &device,
    )
    .unwrap()
}

/// Two epochs (20 steps) of `trainer` (those it has not trained yet, when it resumed), in the
/// run `peer` describes if any.
fn train(mut trainer: Trainer, peer: Option<PeerConfig>) -> Result<Outcome, TrainError> {
    if let Some(peer) = peer {
        trainer = trainer.join(peer)?;
    }
    let result = trainer.fit(2 - trainer.epochs_done());
    trainer.leave()?;
    result?;
    let history = trainer.history();
    let centroids = trainer.aligner().map_or_else(Vec::new, |aligner| {
        aligner.state().centroids().to_data().to_vec().unwrap()
    });
    Ok(Outcome {
        history: numbers(history),
        parameters: weights(&trainer),
        centroids,
    })
}

/// Per epoch: cross-entropy, domain loss, semantic loss, source and target accuracy.
fn numbers(history: &[EpochRecord]) -> Vec<[f64; 5]> {
    history
        .iter()
        .map(|r| {
            [
                r.ce_loss,
                r.loss("domain"),
                r.loss("semantic"),
                r.src_acc,
                r.tgt_acc,
            ]
        })
        .collect()
}

/// The encoder's and the discriminator's parameters.
fn weights(trainer: &Trainer) -> Vec<f32> {
    [
        parameters(trainer.model()),
        parameters(trainer.discriminator()),
    ]
    .concat()
}

/// One process with the union batch.
fn alone(mstn: bool) -> Outcome {
    train(trainer(config(mstn, 0.0), 0, 1), None).unwrap()
}

#[track_caller]
fn assert_same(alone: &Outcome, peer: &Outcome, who: &str) {
    let pairs = alone
        .history
        .iter()
        .flatten()
        .zip(peer.history.iter().flatten())
        .map(|(a, b)| (*a, *b))
        .chain(
            [
                (&alone.parameters, &peer.parameters),
                (&alone.centroids, &peer.centroids),
            ]
            .into_iter()
            .flat_map(|(a, b)| {
                assert_eq!(a.len(), b.len(), "{who}: lengths");
                a.iter().zip(b).map(|(a, b)| (f64::from(*a), f64::from(*b)))
            }),
        );
    let worst = pairs.fold(0.0_f64, |worst, (a, b)| worst.max((a - b).abs()));
    assert!(worst <= TOLERANCE, "{who}: differs by {worst:e}");
}

/// Two peers on two threads, trained to the end.
fn two_threads(config: &DannConfig) -> Vec<Outcome> {
    // Built here, one after the other: the backend's generator is the process's.
    let trainers: Vec<Trainer> = (0..2)
        .map(|rank| trainer(config.clone(), rank, 2))
        .collect();
    on_threads(trainers, |rank, trainer| {
        train(trainer, Some(PeerConfig::local(rank, 2))).unwrap()
    })
}

/// `each(rank, trainer)` on a thread of its own for every trainer; what each returned, by rank.
fn on_threads<T: Send>(
    trainers: Vec<Trainer>,
    each: impl Fn(usize, Trainer) -> T + Sync,
) -> Vec<T> {
    let each = &each;
    thread::scope(|scope| {
        let handles: Vec<_> = trainers
            .into_iter()
            .enumerate()
            .map(|(rank, trainer)| scope.spawn(move || each(rank, trainer)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn two_threads_with_dropout_train_alike_every_time() {
    let _serial = serial();
    let config = config(true, 0.5);
    let runs: Vec<Vec<Outcome>> = (0..3).map(|_| two_threads(&config)).collect();
    for run in &runs[1..] {
        for (a, b) in runs[0].iter().zip(run) {
            assert_eq!(a.parameters, b.parameters);
            assert_eq!(a.history, b.history);
        }
    }
}

/// Two peers as threads of this process, against one process with the union batch.
fn threads_equal_one_process(mstn: bool) {
    let _serial = serial();
    let alone = alone(mstn);
    assert_eq!(alone.history.len(), 2);
    if mstn {
        assert!(alone.history[1][2] > 0.0, "the MSTN term is trained");
    }
    let peers = two_threads(&config(mstn, 0.0));
    for (rank, peer) in peers.iter().enumerate() {
        assert_same(&alone, peer, &format!("peer {rank}"));
    }
    // The peers hold the same model, bit for bit.
    assert_eq!(peers[0].parameters, peers[1].parameters);
}

#[test]
fn two_threads_train_dann_as_one_process() {
    threads_equal_one_process(false);
}

#[test]
fn two_threads_train_dann_mstn_as_one_process() {
    threads_equal_one_process(true);
}

/// A term that is 0, except at its `at`-th step on peer `rank`, where it is NaN.
struct NanOnOnePeer {
    rank: usize,
    at: usize,
    calls: usize,
}

impl<Ad: burn::tensor::backend::AutodiffBackend> AdaptationTerm<Ad> for NanOnOnePeer {
    fn name(&self) -> &str {
        "poison"
    }

    fn weight(&self, _progress: f64) -> f64 {
        1.0
    }

    fn loss(&mut self, inputs: &TermInputs<'_, Ad>) -> Result<TermOutput<Ad>, TrainError> {
        self.calls += 1;
        let zero = inputs.source_features.clone().sum().mul_scalar(0.0);
        let poisoned = inputs.peers().rank() == self.rank && self.calls == self.at;
        Ok(TermOutput::loss(if poisoned {
            zero.add_scalar(f64::NAN)
        } else {
            zero
        }))
    }
}

#[test]
fn a_nan_on_one_peer_stops_every_peer_at_that_step_with_the_same_weights() {
    let _serial = serial();
    let trainers: Vec<Trainer> = (0..2)
        .map(|rank| {
            let term = NanOnOnePeer {
                rank: 1,
                at: 13,
                calls: 0,
            };
            trainer(config(false, 0.0), rank, 2)
                .with_term(term)
                .unwrap()
        })
        .collect();
    let ends = on_threads(trainers, |rank, trainer| {
        let mut trainer = trainer.join(PeerConfig::local(rank, 2)).unwrap();
        let error = trainer.fit(2).err().unwrap();
        trainer.leave().unwrap();
        (error, weights(&trainer))
    });
    for (error, weights) in &ends {
        // Step 13 of the run is step 3 of epoch 2 (10 steps an epoch).
        assert!(
            matches!(
                error,
                TrainError::NonFiniteLoss { term, epoch: 2, step: 3, .. } if term == "poison"
            ),
            "{error:?}"
        );
        assert!(weights.iter().all(|w| w.is_finite()));
    }
    assert_eq!(
        ends[0].1, ends[1].1,
        "the peers stopped on the same weights"
    );
}

/// What joining as peers of one run gave each trainer, which must be an error.
fn join_errors(trainers: Vec<Trainer>) -> Vec<TrainError> {
    let count = trainers.len();
    on_threads(trainers, |rank, trainer| {
        match trainer.join(PeerConfig::local(rank, count)) {
            Ok(mut trainer) => {
                trainer.leave().unwrap();
                panic!("peer {rank} joined");
            }
            Err(error) => error,
        }
    })
}

#[test]
fn uneven_shards_are_an_error_on_every_peer() {
    let _serial = serial();
    let pair = moons(7);
    let device = Default::default();
    // Peer 1 holds twice as many rows: twice the steps.
    let trainers: Vec<Trainer> = (0..2)
        .map(|rank| {
            let rows: Vec<usize> = (0..BATCH * 4 * (rank + 1)).collect();
            let loader = |data: &PointDataset| -> Loader {
                DataLoaderBuilder::new(PointBatcher)
                    .batch_size(BATCH)
                    .build(data.subset(&rows).unwrap())
            };
            DannTrainer::new(
                ShallowEncoderConfig::new().init::<B>(&device).unwrap(),
                loader(&pair.source_train),
                loader(&pair.target_train),
                config(false, 0.0),
                &device,
            )
            .unwrap()
        })
        .collect();
    for error in join_errors(trainers) {
        assert!(
            matches!(error, TrainError::UnevenShards { peers: 2, mean, .. } if mean == 6.0),
            "{error:?}"
        );
    }
}

#[test]
fn a_rank_outside_its_count_is_an_error() {
    let _serial = serial();
    let trainer = trainer(config(false, 0.0), 0, 1);
    let error = trainer.join(PeerConfig::local(2, 2)).err().unwrap();
    assert!(
        matches!(
            error,
            TrainError::InvalidHyperParameter { name: "rank", .. }
        ),
        "{error:?}"
    );
}

#[test]
fn a_node_rank_outside_the_nodes_or_a_bad_address_is_an_error() {
    let _serial = serial();
    let nodes = |rank: usize, address: &str| {
        PeerConfig::local(0, 1).with_nodes(Nodes {
            rank,
            orchestrator: "127.0.0.1:20000".to_string(),
            addresses: vec![address.to_string(), "127.0.0.1:20003".to_string()],
        })
    };
    let peer = nodes(1, "127.0.0.1:20002");
    assert_eq!((peer.rank(), peer.peers()), (1, 2));
    let error = trainer(config(false, 0.0), 0, 1)
        .join(nodes(2, "127.0.0.1:20002"))
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            TrainError::InvalidHyperParameter {
                name: "node rank",
                ..
            }
        ),
        "{error:?}"
    );
    let error = trainer(config(false, 0.0), 0, 1)
        .join(nodes(0, "no port"))
        .err()
        .unwrap();
    assert!(
        matches!(&error, TrainError::Collective { operation: "register", problem } if problem.contains("no port")),
        "{error:?}"
    );
}

/// Peer `rank` of 2 on shuffled shards, DANN+MSTN with dropout: 10 target batches each, and 10
/// source batches on peer 0 but 7 on peer 1, whose source loader is cycled (two passes begun an
/// epoch against one: the passes a resumed peer must replay are its own).
fn uneven_peer(rank: usize) -> Trainer {
    let pair = moons(7);
    let loader = |data: &PointDataset, batches: usize, seed: u64| -> Loader {
        let rows: Vec<usize> = (rank * 400..rank * 400 + batches * BATCH).collect();
        train_loader(data.subset(&rows).unwrap(), BATCH, seed)
    };
    let source_batches = if rank == 0 { 10 } else { 7 };
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 3);
    let model = ShallowEncoderConfig::new().init::<B>(&device).unwrap();
    DannTrainer::new(
        model,
        loader(&pair.source_train, source_batches, 11 + rank as u64),
        loader(&pair.target_train, 10, 21 + rank as u64),
        config(true, 0.5),
        &device,
    )
    .unwrap()
}

/// `epochs` epochs of `trainer` as peer `rank` of 2; its parameters and every epoch's losses
/// and accuracies so far.
fn fit_as_peer(trainer: Trainer, rank: usize, epochs: usize) -> (Vec<f32>, Vec<[f64; 5]>) {
    let mut trainer = trainer.join(PeerConfig::local(rank, 2)).unwrap();
    trainer.fit(epochs).unwrap();
    trainer.leave().unwrap();
    (weights(&trainer), numbers(trainer.history()))
}

#[test]
fn two_threads_resumed_from_a_checkpoint_end_as_the_uninterrupted_run() {
    let _serial = serial();
    const EPOCHS: usize = 3;
    let peers = |each: &dyn Fn(usize) -> Trainer| (0..2).map(each).collect::<Vec<_>>();
    let whole = on_threads(
        peers(&|rank| uneven_peer(rank).with_planned_epochs(EPOCHS)),
        |rank, trainer| fit_as_peer(trainer, rank, EPOCHS),
    );

    // One epoch, checkpointed, then the peers are dropped as a killed process's would be.
    let dir = Scratch::new("peers-resume");
    on_threads(
        peers(&|rank| {
            uneven_peer(rank)
                .with_planned_epochs(EPOCHS)
                .with_checkpoints(Checkpoints::new(dir.path()))
        }),
        |rank, trainer| fit_as_peer(trainer, rank, 1),
    );
    // The peers share this process, whose first peer alone wrote.
    let written = shiftkit_store::list(dir.path()).unwrap();
    assert_eq!(written.iter().map(|c| c.0).collect::<Vec<_>>(), [1]);

    let resumed = on_threads(
        peers(&|rank| {
            let mut trainer = uneven_peer(rank);
            assert_eq!(trainer.resume_from(dir.path()).unwrap(), 1);
            trainer
        }),
        |rank, trainer| fit_as_peer(trainer, rank, EPOCHS - 1),
    );
    for (rank, (whole, resumed)) in whole.iter().zip(&resumed).enumerate() {
        assert_eq!(resumed.1, whole.1, "peer {rank}: histories");
        assert_eq!(resumed.0, whole.0, "peer {rank}: parameters");
    }
    assert_eq!(resumed[0].0, resumed[1].0);
}

#[test]
fn peers_resumed_at_different_steps_are_an_error_on_every_peer() {
    let _serial = serial();
    let dir = Scratch::new("peers-apart");
    let mut first = uneven_peer(0).with_checkpoints(Checkpoints::new(dir.path()));
    first.fit(1).unwrap();

    // Peer 0 resumes after one epoch (10 steps), peer 1 starts afresh.
    let trainers = (0..2)
        .map(|rank| {
            let mut trainer = uneven_peer(rank);
            if rank == 0 {
                trainer.resume_from(dir.path()).unwrap();
            }
            trainer
        })
        .collect();
    for error in join_errors(trainers) {
        assert!(
            matches!(&error, TrainError::PeersOutOfStep { steps } if steps == &[10, 0]),
            "{error:?}"
        );
    }

    // And a checkpoint is taken before joining, not after.
    let mut joined = uneven_peer(0).join(PeerConfig::local(0, 1)).unwrap();
    let error = joined.resume_from(dir.path()).err().unwrap();
    joined.leave().unwrap();
    assert!(
        matches!(error, TrainError::Checkpoint(CheckpointError::Joined)),
        "{error:?}"
    );
    assert_eq!(joined.epochs_done(), 0);
}

// Two processes over loopback. Each test starts three children, each this test binary running
// the same test again with `SHIFTKIT_PEER_ROLE` set: the orchestrators, then node 0 and node 1,
// and stops them all when it ends (on success, failure or panic).
//
// burn-collective 0.21 fails between nodes now and then (about one operation in 3,000 here:
// docs/scaling.md), always as a `TrainError::Collective` on some node, or as a wait. The nodes
// therefore train as long runs across machines are told to: with a checkpoint after every
// epoch, and, after such a failure of the engine, all of them started again from their
// checkpoints (at most `ATTEMPTS` times). What they end with must still equal one process's
// run; any other failure fails the test at once.

const ROLE: &str = "SHIFTKIT_PEER_ROLE";
const PORTS: &str = "SHIFTKIT_PEER_PORTS";
const OUT: &str = "SHIFTKIT_PEER_OUT";
/// Starts of the nodes, the first included, before an engine failure fails the test.
const ATTEMPTS: usize = 4;

/// `n` ports free on 127.0.0.1 when asked, the first two consecutive (the orchestrators'),
/// below the range the system draws its connections' own ports from (32768 and up on Linux):
/// a run opens thousands of connections, whose ports must not take the nodes'.
fn free_ports(n: usize) -> Vec<u16> {
    let free = |port: u16| std::net::TcpListener::bind(("0.0.0.0", port)).is_ok();
    let start = 20_000 + (std::process::id() % 1000) as u16 * 10;
    let mut ports = Vec::with_capacity(n);
    let mut port = start;
    while ports.len() < n {
        port = if port >= 32_700 { 20_000 } else { port + 1 };
        let wanted = if ports.is_empty() {
            free(port) && free(port + 1)
        } else {
            free(port) && !ports.contains(&port) && port != ports[0] + 1
        };
        if wanted {
            ports.push(port);
        }
    }
    ports
}

/// What a child does, when this binary runs as one.
fn as_child(role: &str) {
    let ports: Vec<u16> = std::env::var(PORTS)
        .unwrap()
        .split(',')
        .map(|p| p.parse().unwrap())
        .collect();
    if role == "orchestrator" {
        shiftkit_peers::run_orchestrator(ports[0]).unwrap();
        return;
    }
    if let Some(node) = role.strip_prefix("raw ") {
        return raw_all_reduces(node.parse().unwrap(), &ports);
    }
    // "node R mstn|dann [fails]"
    let mut words = role.split(' ').skip(1);
    let rank: usize = words.next().unwrap().parse().unwrap();
    let mstn = words.next() == Some("mstn");
    let fails = words.next() == Some("fails");
    let address = |port: u16| format!("127.0.0.1:{port}");
    let peer = PeerConfig::local(0, 1).with_nodes(Nodes {
        rank,
        orchestrator: address(ports[0]),
        addresses: ports[1..].iter().map(|&p| address(p)).collect(),
    });
    let out = std::env::var(OUT).unwrap();
    let checkpoints = checkpoints_of(&out, rank);
    let mut trainer = trainer(config(mstn, 0.0), rank, 2)
        .with_planned_epochs(2)
        .with_checkpoints(Checkpoints::new(&checkpoints));
    if shiftkit_store::latest(&checkpoints).unwrap().is_some() {
        trainer.resume_from(&checkpoints).unwrap();
    } else if fails {
        return fail_after_one_epoch(trainer, peer, &out, rank);
    }
    match train(trainer, Some(peer)) {
        Ok(outcome) => std::fs::write(
            format!("{out}.{rank}"),
            serde_json::to_vec(&outcome).unwrap(),
        )
        .unwrap(),
        Err(error @ TrainError::Collective { .. }) => {
            std::fs::write(engine_marker(&out, rank), error.to_string()).unwrap();
            panic!("{error}");
        }
        Err(error) => panic!("{error}"),
    }
}

/// A node that the engine fails (as it does now and then) once both nodes have saved the
/// first epoch: it stops in the middle of the run with the engine's error.
fn fail_after_one_epoch(trainer: Trainer, peer: PeerConfig, out: &str, rank: usize) {
    let mut trainer = trainer.join(peer).unwrap();
    trainer.fit(1).unwrap();
    let started = Instant::now();
    while shiftkit_store::list(&checkpoints_of(out, 0))
        .unwrap()
        .is_empty()
    {
        assert!(started.elapsed() < Duration::from_secs(60));
        thread::sleep(Duration::from_millis(20));
    }
    let error = TrainError::Collective {
        operation: "all-reduce",
        problem: "failed on purpose, as the engine now and then does".to_string(),
    };
    std::fs::write(engine_marker(out, rank), error.to_string()).unwrap();
    panic!("{error}");
}

/// Where node `rank` keeps its checkpoints.
fn checkpoints_of(out: &str, rank: usize) -> PathBuf {
    PathBuf::from(format!("{out}.checkpoints.{rank}"))
}

/// The file in which node `rank` says that the engine failed it.
fn engine_marker(out: &str, rank: usize) -> PathBuf {
    PathBuf::from(format!("{out}.engine.{rank}"))
}

/// Before the nodes start again: every node's checkpoints past the newest epoch that all of
/// them saved are removed (a node may have been stopped before it wrote the last), so that all
/// resume at the same step.
fn align_checkpoints(out: &str, nodes: usize) {
    let dirs: Vec<PathBuf> = (0..nodes).map(|rank| checkpoints_of(out, rank)).collect();
    let newest = |dir: &PathBuf| shiftkit_store::list(dir).unwrap().last().map_or(0, |c| c.0);
    let common = dirs.iter().map(newest).min().unwrap_or(0);
    for dir in &dirs {
        for (epoch, path) in shiftkit_store::list(dir).unwrap() {
            if epoch > common {
                std::fs::remove_dir_all(path).unwrap();
            }
        }
    }
}

/// Kills the children it holds when dropped: on success, on failure, on a panic.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// This test binary running `test` alone, as a child in `role`, its output in `log`.
fn child(test: &str, role: &str, ports: &str, out: &str, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(ROLE, role)
        // A failure's message, not a backtrace, in the lines `tail` shows.
        .env("RUST_BACKTRACE", "0")
        .env(PORTS, ports)
        .env(OUT, out)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

/// The last lines of a child's output, for a failure's message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// How a start of the nodes ended.
enum Ended {
    /// Every node succeeded; the children are stopped when this is dropped.
    Done(Children),
    /// The collective engine failed a node, or the nodes did not finish in time: what the
    /// nodes said last.
    Engine(String),
}

/// Starts the orchestrators and a child per node role of `roles`, their outputs in `dir`, and
/// waits (at most `patience`) for the nodes to succeed. A node that fails otherwise than by
/// the engine fails the test.
fn run_nodes(test: &str, roles: &[String], dir: &Scratch, patience: Duration) -> Ended {
    let ports: Vec<String> = free_ports(1 + roles.len())
        .iter()
        .map(u16::to_string)
        .collect();
    let ports = ports.join(",");
    let out = dir.join("outcome").display().to_string();
    for rank in 0..roles.len() {
        let _ = std::fs::remove_file(engine_marker(&out, rank));
        let _ = std::fs::remove_file(format!("{out}.{rank}"));
    }
    let logs: Vec<PathBuf> = (0..=roles.len())
        .map(|i| dir.join(&format!("child{i}.log")))
        .collect();
    let mut children = Children(vec![child(test, "orchestrator", &ports, &out, &logs[0])]);
    for (role, log) in roles.iter().zip(&logs[1..]) {
        children.0.push(child(test, role, &ports, &out, log));
    }
    let said = || {
        (1..=roles.len())
            .map(|node| format!("node {}:\n{}", node - 1, tail(&logs[node])))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let started = Instant::now();
    let mut done = vec![false; roles.len()];
    while done.contains(&false) {
        for (rank, done) in done.iter_mut().enumerate() {
            if *done {
                continue;
            }
            if let Some(status) = children.0[rank + 1].try_wait().unwrap() {
                if status.success() {
                    *done = true;
                } else if engine_marker(&out, rank).exists() {
                    return Ended::Engine(said());
                } else {
                    panic!("node {rank} failed:\n{}", tail(&logs[rank + 1]));
                }
            }
        }
        if started.elapsed() > patience {
            return Ended::Engine(format!(
                "the nodes did not finish in {patience:?}:\n{}",
                said()
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ended::Done(children)
}

/// Two peers as two processes over loopback, against one process with the union batch; with
/// `fails`, node 1 fails in the middle of its first start. Returns the starts of the nodes
/// (`None` in a child, which plays its role instead).
// It says why the nodes started again, in the test's output (`--nocapture`, or a failure's).
#[allow(clippy::print_stderr)]
fn processes_equal_one_process(test: &str, mstn: bool, fails: bool) -> Option<usize> {
    if let Ok(role) = std::env::var(ROLE) {
        as_child(&role);
        return None;
    }
    let _serial = serial();
    let alone = alone(mstn);
    let dir = Scratch::new("peers");
    let method = if mstn { "mstn" } else { "dann" };
    let roles: Vec<String> = (0..2)
        .map(|rank| match (rank, fails) {
            (1, true) => format!("node {rank} {method} fails"),
            _ => format!("node {rank} {method}"),
        })
        .collect();
    let out = dir.join("outcome").display().to_string();
    // Past the nodes' own 120 s watchdog, which turns a wait inside the engine into an error.
    let patience = Duration::from_secs(150);
    let mut attempt = 1;
    let _children = loop {
        match run_nodes(test, &roles, &dir, patience) {
            Ended::Done(children) => break children,
            Ended::Engine(said) if attempt < ATTEMPTS => {
                eprintln!("start {attempt} of the nodes failed inside the engine; again:\n{said}");
                align_checkpoints(&out, roles.len());
                attempt += 1;
            }
            Ended::Engine(said) => {
                panic!("the engine failed all {ATTEMPTS} starts of the nodes; the last:\n{said}")
            }
        }
    };
    let peers: Vec<Outcome> = (0..2)
        .map(|rank| {
            serde_json::from_slice(&std::fs::read(format!("{out}.{rank}")).unwrap()).unwrap()
        })
        .collect();
    for (rank, peer) in peers.iter().enumerate() {
        assert_same(&alone, peer, &format!("process {rank}"));
    }
    assert_eq!(peers[0].parameters, peers[1].parameters);
    Some(attempt)
}

// The processes run this same test as their role says, hence the name passed down.
#[test]
fn two_processes_train_dann_as_one_process() {
    processes_equal_one_process(
        "peers::two_processes_train_dann_as_one_process",
        false,
        false,
    );
}

#[test]
fn two_processes_train_dann_mstn_as_one_process() {
    processes_equal_one_process(
        "peers::two_processes_train_dann_mstn_as_one_process",
        true,
        false,
    );
}

#[test]
fn two_processes_failed_by_the_engine_resume_and_train_as_one_process() {
    let test = "peers::two_processes_failed_by_the_engine_resume_and_train_as_one_process";
    if let Some(starts) = processes_equal_one_process(test, true, true) {
        // Started again once (more only if the real engine failed too).
        assert!(starts >= 2, "{starts} starts");
    }
}

/// Node `node` registering once with burn-collective and all-reducing twice.
fn raw_all_reduces(node: usize, ports: &[u16]) {
    use burn_collective::{CollectiveConfig, PeerId, ReduceOperation};
    let config = CollectiveConfig::default()
        .with_num_devices(1)
        .with_num_nodes(2)
        .with_global_address(format!("ws://127.0.0.1:{}", ports[0]).parse().unwrap())
        .with_node_address(
            format!("ws://127.0.0.1:{}", ports[1 + node])
                .parse()
                .unwrap(),
        )
        .with_data_service_port(ports[1 + node]);
    let device = Default::default();
    let id = PeerId(node as u32);
    burn_collective::register::<Inner>(id, device, config).unwrap();
    for round in 1..=2 {
        let ones = Tensor::<Inner, 1>::ones([4], &Default::default());
        let sum = burn_collective::all_reduce::<Inner>(
            id,
            ones.into_primitive().tensor(),
            ReduceOperation::Sum,
        )
        .unwrap();
        let sum: Vec<f32> = Tensor::<Inner, 1>::from_primitive(TensorPrimitive::Float(sum))
            .to_data()
            .to_vec()
            .unwrap();
        assert_eq!(sum, vec![2.0; 4], "round {round}");
    }
    burn_collective::finish_collective::<Inner>(id).unwrap();
}

// burn-collective 0.21's defect, which `peers` works around by registering for every
// operation between nodes: two nodes registered once, all-reducing twice over loopback. The
// second all-reduce never returns; the test stops the children after 60 s and fails. Run it
// with `--ignored` after upgrading Burn: once it passes, each operation need not register.
#[test]
#[ignore = "burn-collective 0.21: the second operation between nodes of one registration never returns"]
fn two_processes_all_reduce_twice_in_one_registration() {
    if let Ok(role) = std::env::var(ROLE) {
        return as_child(&role);
    }
    let roles = ["raw 0".to_string(), "raw 1".to_string()];
    let test = "peers::two_processes_all_reduce_twice_in_one_registration";
    match run_nodes(
        test,
        &roles,
        &Scratch::new("peers"),
        Duration::from_secs(60),
    ) {
        Ended::Done(_children) => {}
        Ended::Engine(said) => panic!("{said}"),
    }
}
