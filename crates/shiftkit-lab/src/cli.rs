//! What both programs' command lines share: comma-separated lists, the device, the thread pool,
//! checkpoints and export.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::error::ErrorKind;
use shiftkit::device::{CpuBackend, DeviceRequest, OnBackend, Resolved, dispatch, wgpu_adapter};
use shiftkit::peers::Nodes;

/// A comma-separated list given on the command line (`0,1,2`, `dann,dann_mstn`), repeats
/// dropped, `all` standing for every item of [`Listed::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

/// What a [`List`] may hold.
pub trait Listed: FromStr + Clone + PartialEq + Send + Sync + 'static {
    /// What `all` stands for.
    const ALL: &'static [Self];
}

impl Listed for shiftkit::methods::Method {
    const ALL: &'static [Self] = &shiftkit::methods::Method::ALL;
}

impl Listed for u64 {
    const ALL: &'static [Self] = &[];
}

/// A loss weight for the command line: finite and above 0. A weight of 0 would switch its term
/// off, which the presets read as "the method's own weight" (`Method::configure`); no
/// adaptation is `--method source_only`.
///
/// # Errors
///
/// A number that does not parse, is not finite, or is not above 0.
pub fn weight(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        Ok(_) => Err(format!(
            "{text} is not a finite number above 0 (for no adaptation: --method source_only)"
        )),
        Err(e) => Err(format!("`{text}`: {e}")),
    }
}

/// Parses a [`List`]; for `value_parser = list::<T>`.
///
/// # Errors
///
/// An item that does not parse, or an empty list.
pub fn list<T: Listed>(text: &str) -> Result<List<T>, String>
where
    T::Err: std::fmt::Display,
{
    let mut items: Vec<T> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let new = if part.eq_ignore_ascii_case("all") && !T::ALL.is_empty() {
            T::ALL.to_vec()
        } else {
            vec![part.parse().map_err(|e| format!("`{part}`: {e}"))?]
        };
        for item in new {
            if !items.contains(&item) {
                items.push(item);
            }
        }
    }
    if items.is_empty() {
        return Err("the list is empty".to_string());
    }
    Ok(List(items))
}

/// Exits like clap does on a bad option (status 2, a pointer to `--help`), for what the parser
/// itself cannot check.
pub fn fail<C: clap::CommandFactory>(message: impl std::fmt::Display) -> ! {
    C::command()
        .error(ErrorKind::ValueValidation, message)
        .exit()
}

/// Settles `--device` for job `J` (`auto` considers only the GPU backends `J` is built for),
/// exiting with status 2 when it cannot be met.
pub fn resolve_device<C: clap::CommandFactory, J: OnBackend>(request: DeviceRequest) -> Resolved {
    request.resolve_for::<J>().unwrap_or_else(|e| fail::<C>(e))
}

/// Creates `out`, says on stderr which device and backend run, and runs `job` there.
///
/// # Errors
///
/// `out` cannot be created, or the backend is missing from the build.
// The programs' progress goes to stderr.
#[allow(clippy::print_stderr)]
pub fn dispatch_into<J: OnBackend>(
    out: &Path,
    device: Resolved,
    backend: CpuBackend,
    job: &J,
) -> Result<J::Output, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    match device {
        Resolved::Cpu => eprintln!("device: {device} ({backend})"),
        Resolved::Cuda(_) => eprintln!("device: {device} (cuda)"),
        Resolved::Wgpu => match wgpu_adapter() {
            Some(adapter) => eprintln!("device: {device} ({adapter})"),
            None => eprintln!("device: {device}"),
        },
    }
    Ok(dispatch(device, backend, job)?)
}

/// Sizes the CPU backends' rayon pool once for the process, when `--threads` asks; otherwise
/// Burn's pool starts as it does (a thread per core).
///
/// The trainer runs the source's and the target's passes on two one-thread workers of its own,
/// so the pool serves the rest of the step (the losses, the heads, the optimiser) and
/// evaluation; at a thread per core the MLP step is faster than at one and the CNN step the
/// same (docs/performance.md, "The first pass on a worker of its own").
pub fn size_thread_pool<C: clap::CommandFactory>(threads: Option<NonZeroUsize>) {
    let Some(threads) = threads else { return };
    if let Err(error) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .build_global()
    {
        fail::<C>(format!("--threads: {error}"));
    }
}

#[cfg(test)]
mod tests {
    use super::{List, list};
    use shiftkit::methods::Method;

    #[test]
    fn lists_drop_repeats_and_expand_all() {
        assert_eq!(list::<u64>("2, 0,2"), Ok(List(vec![2, 0])));
        assert_eq!(
            list::<Method>("dann,all"),
            Ok(List(vec![
                Method::Dann,
                Method::SourceOnly,
                Method::DannMstn,
                Method::Mmd,
                Method::Coral,
                Method::Cdan,
                Method::CdanE,
                Method::Mcc,
            ]))
        );
        assert!(list::<u64>("1,x").is_err());
        assert!(list::<u64>(",").is_err());
        assert!(list::<u64>("all").is_err());
    }
}

/// Checkpoints, resume and export: the same flags in every program (`#[command(flatten)]`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Persistence {
    /// Save a checkpoint after every epoch, each run in DIR/METHOD_MODEL_seedN/ (the newest two kept; with --nodes, in its node-R/ there)
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue each run from its newest complete checkpoint in --checkpoint-dir (a run without one starts fresh)
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    /// Save each run's final encoder (weights, and its configuration as FILE with .json); with several runs, FILE's name gets each run's name appended
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

impl Persistence {
    /// Checks `--export` before anything trains: not a `.json` file (where its configuration
    /// goes), in a directory that exists (created here when missing).
    ///
    /// # Errors
    ///
    /// A message naming the option and the problem.
    pub fn check(&self) -> Result<(), String> {
        let Some(path) = &self.export else {
            return Ok(());
        };
        if shiftkit::nn::records::is_config_extension(path) {
            return Err(format!(
                "--export {}: the configuration goes to the .json beside the weights; give the \
                 weights another extension (.mpk)",
                path.display()
            ));
        }
        match path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            Some(dir) => std::fs::create_dir_all(dir)
                .map_err(|e| format!("--export: cannot create {}: {e}", dir.display())),
            None => Ok(()),
        }
    }
}

/// Sends the libraries' `tracing` logs to stderr, warnings and errors only unless `RUST_LOG`
/// says otherwise. Installed first, it stands in for the subscriber Burn's network stack would
/// install (information on every connection, on stdout, amid the program's results).
pub fn log_to_stderr() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Fails only when a subscriber is already installed, which then stays.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A data-parallel run over several processes, possibly on several machines: the same flags in
/// every program (`#[command(flatten)]`). Every process runs the same command but for
/// `--node-rank`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NodeArgs {
    /// Train over several processes or machines, --peers threads each: HOST:PORT of every process, in rank order (each listens on its port)
    #[arg(long, value_name = "LIST", value_delimiter = ',', requires_all = ["node_rank", "orchestrator"])]
    pub nodes: Vec<String>,
    /// This process's number among the --nodes, from 0
    #[arg(long, value_name = "R", requires = "nodes")]
    pub node_rank: Option<usize>,
    /// HOST:PORT of the run's orchestrator, which the processes meet through (one per run)
    #[arg(long, value_name = "HOST:PORT", requires = "nodes")]
    pub orchestrator: Option<String>,
    /// Run the orchestrator in this process too, listening on --orchestrator's port
    #[arg(long, requires = "nodes")]
    pub serve_orchestrator: bool,
}

impl NodeArgs {
    /// Checks `--nodes`, `--node-rank` and `--orchestrator` before anything is read or
    /// trained, as the library will ([`Nodes::check`]): every address a `HOST:PORT`, the rank
    /// one of the nodes.
    ///
    /// # Errors
    ///
    /// A message naming the options and the problem.
    pub fn check(&self) -> Result<(), String> {
        match self.nodes() {
            Some(nodes) => nodes
                .check()
                .map_err(|e| format!("--nodes, --node-rank, --orchestrator: {e}")),
            None => Ok(()),
        }
    }

    /// This process's place among the nodes, with --nodes.
    pub fn nodes(&self) -> Option<Nodes> {
        if self.nodes.is_empty() {
            return None;
        }
        Some(Nodes {
            rank: self.node_rank?,
            orchestrator: self.orchestrator.clone()?,
            addresses: self.nodes.clone(),
        })
    }

    /// The port the orchestrator listens on, with `--serve-orchestrator`.
    ///
    /// # Errors
    ///
    /// A message when `--orchestrator` does not end in a port.
    pub fn serve_orchestrator(&self) -> Result<Option<u16>, String> {
        if !self.serve_orchestrator {
            return Ok(None);
        }
        let address = self.orchestrator.as_deref().unwrap_or_default();
        self.nodes()
            .and_then(|nodes| nodes.orchestrator_port().ok())
            .map(Some)
            .ok_or_else(|| format!("--orchestrator {address} does not end in a port"))
    }
}

impl Persistence {
    /// The checkpoint directory of the run named `stem`.
    pub fn checkpoint_dir(&self, stem: &str) -> Option<PathBuf> {
        self.checkpoint_dir.as_ref().map(|dir| dir.join(stem))
    }

    /// Where the run named `stem`, one of `runs`, exports its encoder.
    pub fn export_path(&self, stem: &str, runs: usize) -> Option<PathBuf> {
        let path = self.export.as_ref()?;
        if runs <= 1 {
            return Some(path.clone());
        }
        let base = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let name = match path.extension() {
            Some(ext) => format!("{base}_{stem}.{}", ext.to_string_lossy()),
            None => format!("{base}_{stem}"),
        };
        Some(path.parent().unwrap_or(Path::new("")).join(name))
    }
}
