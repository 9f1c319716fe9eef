//! Two passes at once: a step's source and target passes on two threads.
//!
//! Each pass runs on a persistent worker of its own, not a thread spawned per step: its
//! allocator state stays warm (the passes allocate and free the same large buffers every step),
//! and a spawn per call would cost more than the smaller passes take.
//!
//! The first pass, too, runs on a worker rather than on the calling thread when the caller is
//! not a rayon thread (a program's main thread). On its worker the CPU backends' kernels run
//! inline, as on a one-thread pool; called from the main thread, each kernel big enough to
//! split was handed to Burn's global pool and waited for, a wake-up and a sleep per op, which
//! with the library's defaults made a whole CNN run far slower (measured in
//! docs/performance.md, "The first pass on a worker of its own").

use std::cell::OnceCell;
use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuilder};

/// A pool of one thread named `name`, or `None` if the system refused a thread.
fn one_thread(name: &'static str) -> Option<ThreadPool> {
    ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(move |_| name.into())
        .build()
        .ok()
}

/// The worker of the second pass, started on first use.
fn worker() -> Option<&'static ThreadPool> {
    static WORKER: OnceLock<Option<ThreadPool>> = OnceLock::new();
    WORKER
        .get_or_init(|| one_thread("shiftkit-domain"))
        .as_ref()
}

thread_local! {
    /// The worker of the first pass for the calling thread, started on first use: a thread of
    /// its own for each thread that calls [`join`] (the peers of a data-parallel run each train
    /// on one), so that their first passes still run side by side.
    static FIRST: OnceCell<Option<ThreadPool>> = const { OnceCell::new() };
}

/// Runs `first` on the calling thread's first-pass worker, or right here if the caller is a
/// rayon thread or no worker started (see [`join`]).
fn run_first<F: FnOnce() -> R + Send, R: Send>(first: F) -> R {
    if rayon::current_thread_index().is_some() {
        return first();
    }
    FIRST.with(
        |cell| match cell.get_or_init(|| one_thread("shiftkit-first")) {
            Some(pool) => pool.install(first),
            None => first(),
        },
    )
}

/// Runs `first` and `second` at the same time and returns both results once both are done
/// (one after the other if the workers could not be started). A panic in either is resumed on
/// the calling thread.
///
/// `second` runs on its worker; `first` on the other worker when the caller is not a rayon
/// thread, else on the calling thread (inside a pool the caller chose, the kernels stay in it).
/// Code running on a worker sees a rayon pool of one thread, so the CPU backends' kernels
/// run there sequentially, as on a one-thread global pool.
pub fn join<FA, FB, RA, RB>(first: FA, second: FB) -> (RA, RB)
where
    FA: FnOnce() -> RA + Send,
    FB: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let Some(worker) = worker() else {
        let a = first();
        return (a, second());
    };
    let mut b = None;
    let a = worker.in_place_scope(|scope| {
        scope.spawn(|_| b = Some(second()));
        run_first(first)
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
    fn called_from_a_plain_thread_both_run_on_workers() {
        let here = std::thread::current().id();
        let name = || std::thread::current().name().map(str::to_owned);
        let ((first, first_name), (second, second_name)) = join(
            || (std::thread::current().id(), name()),
            || (std::thread::current().id(), name()),
        );
        assert_ne!(first, here, "the first closure ran on the calling thread");
        assert_ne!(first, second);
        assert_eq!(first_name.as_deref(), Some("shiftkit-first"));
        assert_eq!(second_name.as_deref(), Some("shiftkit-domain"));
    }

    #[test]
    fn each_calling_thread_has_a_first_worker_of_its_own() {
        let first_of = || join(|| std::thread::current().id(), || ()).0;
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(first_of);
            let b = scope.spawn(first_of);
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_ne!(a, b, "two callers shared one first-pass worker");
        let again = std::thread::scope(|scope| scope.spawn(|| [first_of(), first_of()]).join());
        let [x, y] = again.unwrap();
        assert_eq!(x, y, "one caller's passes moved between workers");
    }

    #[test]
    fn inside_a_rayon_pool_the_first_stays_on_the_calling_thread() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| {
            let here = std::thread::current().id();
            let (first, _) = join(|| std::thread::current().id(), || ());
            assert_eq!(first, here);
        });
    }

    #[test]
    fn a_panic_on_the_worker_reaches_the_caller() {
        let result = std::panic::catch_unwind(|| join(|| 1, || panic!("on the worker")));
        assert!(result.is_err());
        let result = std::panic::catch_unwind(|| join(|| panic!("on the first worker"), || 2));
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
