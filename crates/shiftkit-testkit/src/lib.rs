//! Helpers shared by the test suites of the shiftkit crates: deterministic inputs, tensor
//! builders and read-outs, central finite differences, tolerance checks, a lock over the
//! backend's global random generator, scratch directories, and macros for a test per case and
//! for the auto traits of public types.
//!
//! Dev-only: each crate names it under `[dev-dependencies]`, and it depends on Burn alone, so
//! it never sits between two shiftkit crates. Every crate's integration tests are one binary
//! (`tests/it/main.rs` with a module per topic): Burn is linked once per crate.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

/// A deterministic pseudo-random vector in [-1, 1] (an LCG: the suites need no RNG crate, and
/// the same seed gives the same values on every machine).
pub fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// [`values`] rounded to f32.
pub fn values_f32(n: usize, seed: u64) -> Vec<f32> {
    values(n, seed).into_iter().map(|v| v as f32).collect()
}

/// A rank-2 tensor of shape `[rows, cols]` from `data`, on the default device.
pub fn matrix<B: Backend>(data: &[f64], rows: usize, cols: usize) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [rows, cols]),
        &Default::default(),
    )
}

/// A rank-1 tensor from `data`, on the default device.
pub fn vector<B: Backend>(data: &[f64]) -> Tensor<B, 1> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [data.len()]),
        &Default::default(),
    )
}

/// An integer label vector, on the default device.
pub fn labels<B: Backend>(data: &[i64]) -> Tensor<B, 1, Int> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [data.len()]),
        &Default::default(),
    )
}

/// The values of a tensor, widened (or narrowed) to f64.
pub fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// Central finite differences of a scalar function of a `[rows, cols]` input:
/// `(f(x + h e_i) - f(x - h e_i)) / 2h` for every coordinate `i`, with `h = 1e-6` (take them
/// on an f64 backend).
pub fn finite_differences<B: Backend>(
    f: impl Fn(Tensor<B, 2>) -> f64,
    x: &[f64],
    rows: usize,
    cols: usize,
) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let mut plus = x.to_vec();
            plus[i] += h;
            let mut minus = x.to_vec();
            minus[i] -= h;
            (f(matrix(&plus, rows, cols)) - f(matrix(&minus, rows, cols))) / (2.0 * h)
        })
        .collect()
}

/// Asserts `|actual - expected| <= tol * max(1, |expected|)` elementwise; `what` names the
/// quantity in the failure message.
#[track_caller]
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let scale = e.abs().max(1.0);
        assert!(
            (a - e).abs() <= tol * scale,
            "{what}: coordinate {i}: got {a}, expected {e}"
        );
    }
}

/// The largest absolute difference between two equally long slices.
#[track_caller]
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Every float parameter of a module as f32, one vector per parameter, in visiting order.
pub fn weights<B: Backend, M: Module<B>>(module: &M) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let data = param.val().into_data().convert::<f32>();
            self.0.push(data.iter::<f32>().collect());
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Every float parameter of a module as f32, flattened into one vector, in visiting order.
pub fn parameters<B: Backend, M: Module<B>>(module: &M) -> Vec<f32> {
    weights(module).concat()
}

static SERIAL: Mutex<()> = Mutex::new(());

/// The backends' random generators are global to the process, and a crate's tests share one
/// process: a test that seeds the backend and depends on what it draws (a model's
/// initialisation, a run compared with another) holds this lock for as long as it draws, so no
/// other test draws in between. A test that failed while holding it does not poison the others.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fresh, empty directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new directory whose name starts with `shiftkit-<what>-` and is unique to this process
    /// and call.
    pub fn new(what: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "shiftkit-{what}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        Self(dir)
    }

    /// Writes `bytes` to `name` in the directory and returns the file's path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("the scratch directory is writable");
        path
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory (not created).
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One `#[test]` per case, for tests that differ only in what they pass to a shared check:
/// each case is `name => check;` with its own attributes (a doc comment, `#[ignore]`), so a
/// failure names its case.
///
/// ```
/// fn check_square(n: u32, square: u32) {
///     assert_eq!(n * n, square);
/// }
///
/// shiftkit_testkit::test_cases! {
///     two => check_square(2, 4);
///     /// A second case.
///     three => check_square(3, 9);
/// }
/// ```
#[macro_export]
macro_rules! test_cases {
    ($($(#[$attr:meta])* $name:ident => $check:expr;)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                $check;
            }
        )*
    };
}

/// Compile-time check that every type listed is `Send + Sync + Unpin`: what a type needs to be
/// moved to a worker thread, shared between threads, or held across an `.await`.
///
/// ```
/// shiftkit_testkit::assert_send_sync_unpin!(String, Vec<u8>, std::sync::Arc<str>);
/// ```
#[macro_export]
macro_rules! assert_send_sync_unpin {
    ($($ty:ty),+ $(,)?) => {
        const _: () = {
            const fn check<T>()
            where
                T: ::core::marker::Send + ::core::marker::Sync + ::core::marker::Unpin,
            {
            }
            $(check::<$ty>();)+
        };
    };
}

/// A reference written by `scripts/torchvision-fixture.py fixtures`: a batch of inputs and
/// torchvision's pooled backbone features for it.
#[derive(Debug, Clone)]
pub struct TorchvisionFixture {
    /// The inputs, `[N, C, H, W]` row-major.
    pub input: Vec<f32>,
    /// Their shape.
    pub input_shape: [usize; 4],
    /// torchvision's pooled features, `[N, D]` row-major.
    pub output: Vec<f32>,
    /// Their shape.
    pub output_shape: [usize; 2],
}

/// The path of the ResNet fixture file `name` (in `crates/shiftkit-nn/tests/fixtures`).
pub fn torchvision_fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shiftkit-nn/tests/fixtures")
        .join(name)
}

/// The ResNet fixture `name` (`basic` or `bottleneck`): its `NAME.json`.
pub fn torchvision_fixture(name: &str) -> TorchvisionFixture {
    let path = torchvision_fixture_path(&format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("the fixture is in the repository");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let numbers = |key: &str| -> Vec<f64> {
        json[key]
            .as_array()
            .expect("an array")
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect()
    };
    let floats = |key: &str| numbers(key).into_iter().map(|v| v as f32).collect();
    let dims = |key: &str| -> Vec<usize> { numbers(key).into_iter().map(|v| v as usize).collect() };
    let (input_shape, output_shape) = (dims("input_shape"), dims("output_shape"));
    TorchvisionFixture {
        input: floats("input"),
        input_shape: [
            input_shape[0],
            input_shape[1],
            input_shape[2],
            input_shape[3],
        ],
        output: floats("output"),
        output_shape: [output_shape[0], output_shape[1]],
    }
}
