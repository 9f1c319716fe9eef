//! Two passes at once: a step's source and target passes on two threads.
//!
//! The second thread is one persistent worker, not a thread spawned per step: its allocator
//! state stays warm (the passes allocate and free the same large buffers every step), and a
//! spawn per call would cost more than the smaller passes take.

use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The worker, started on first use; `None` if the system refused a thread.
fn worker() -> Option<&'static ThreadPool> {
    static WORKER: OnceLock<Option<ThreadPool>> = OnceLock::new();
    WORKER
        .get_or_init(|| {
            ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|_| "shiftkit-domain".into())
                .build()
                .ok()
        })
        .as_ref()
}

/// Runs `first` on the calling thread and `second` on the worker at the same time, and returns
/// both results once both are done (one after the other if the worker could not be started).
/// A panic in either is resumed on the calling thread.
///
/// Code running on the worker sees a rayon pool of one thread, so the CPU backends' kernels
/// run there sequentially, as on a one-thread global pool.
pub fn join<FA, FB, RA, RB>(first: FA, second: FB) -> (RA, RB)
where
    FA: FnOnce() -> RA,
    FB: FnOnce() -> RB + Send,
    RB: Send,
{
    let Some(worker) = worker() else {
        let a = first();
        return (a, second());
    };
    let mut b = None;
    let a = worker.in_place_scope(|scope| {
        scope.spawn(|_| b = Some(second()));
        first()
    });
    (a, b.expect("the scope ends after its task"))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn both_results_come_back_and_the_second_runs_elsewhere() {
        let here = std::thread::current().id();
        let (a, (b, there)) = join(|| 2 + 3, || (7 * 6, std::thread::current().id()));
        assert_eq!((a, b), (5, 42));
        assert_ne!(here, there, "the second closure ran on the calling thread");
    }

    #[test]
    fn a_panic_on_the_worker_reaches_the_caller() {
        let result = std::panic::catch_unwind(|| join(|| 1, || panic!("on the worker")));
        assert!(result.is_err());
        // The worker survives it.
        assert_eq!(join(|| 1, || 2), (1, 2));
    }

    #[test]
    fn nested_calls_finish() {
        let (a, b) = join(|| join(|| 1, || 2), || join(|| 3, || 4));
        assert_eq!((a, b), ((1, 2), (3, 4)));
    }
}
