#![allow(missing_docs)] // criterion_main! generates an undocumented `main`.
//! What a data-parallel step adds: one all-reduce (sum) of every gradient, packed, between two
//! peers (threads) of one process on Burn's collective engine, on the CPU backend (flex).
//!
//! The sizes are the trainer's packed gradients: the digits MLP with the discriminator
//! (584,075 floats, 2.3 MB) and the CNN with the discriminator (872,907 floats, 3.5 MB), and a
//! small vector (the step's loss summary, 8 floats) for the per-operation overhead. Each
//! iteration is one all-reduce on both peers; the time is peer 0's.

use std::hint::black_box;
use std::time::{Duration, Instant};

use burn::backend::Flex;
use burn::tensor::{Tensor, TensorPrimitive};
use burn_collective::{CollectiveConfig, PeerId, ReduceOperation};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

type B = Flex;

const SIZES: [(&str, usize); 3] = [("summary", 8), ("mlp", 584_075), ("cnn", 872_907)];

/// `iters` all-reduces of `n` floats on peer `rank` of two.
fn all_reduces(rank: u32, n: usize, iters: u64) -> Duration {
    let device = Default::default();
    let tensor = Tensor::<B, 1>::ones([n], &device);
    let started = Instant::now();
    for _ in 0..iters {
        let primitive = tensor.clone().into_primitive().tensor();
        let sum = burn_collective::all_reduce::<B>(PeerId(rank), primitive, ReduceOperation::Sum)
            .expect("the two peers are registered");
        black_box(Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(sum)));
    }
    started.elapsed()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("all_reduce_two_threads");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    // Peer 1 lives on its own thread for the whole benchmark and answers every call of peer 0.
    let (tx, rx) = std::sync::mpsc::channel::<Option<(usize, u64)>>();
    let config = CollectiveConfig::default().with_num_devices(2);
    let peer_1 = {
        let config = config.clone();
        std::thread::spawn(move || {
            burn_collective::register::<B>(PeerId(1), Default::default(), config).unwrap();
            while let Ok(Some((n, iters))) = rx.recv() {
                all_reduces(1, n, iters);
            }
            burn_collective::finish_collective::<B>(PeerId(1)).unwrap();
        })
    };
    burn_collective::register::<B>(PeerId(0), Default::default(), config).unwrap();
    for (name, n) in SIZES {
        group.throughput(Throughput::Bytes(4 * n as u64));
        group.bench_function(BenchmarkId::new(name, n), |b| {
            b.iter_custom(|iters| {
                tx.send(Some((n, iters))).unwrap();
                all_reduces(0, n, iters)
            });
        });
    }
    group.finish();
    tx.send(None).unwrap();
    burn_collective::finish_collective::<B>(PeerId(0)).unwrap();
    peer_1.join().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
