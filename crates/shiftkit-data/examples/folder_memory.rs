//! The memory an image folder takes while a loader reads it: writes `N` PNG images of
//! `SIDE x SIDE` pixels in colour into class folders under `DIR` (once), reads them all through
//! Burn's loader (batches of 64, 4 workers, resized to `SIDE x SIDE`), and prints the peak
//! resident memory before and after, with what the decoded images would take held at once.
//!
//! ```sh
//! cargo run --release -p shiftkit-data --features burn/ndarray --example folder_memory -- DIR N SIDE
//! ```

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::Path;

use burn::backend::NdArray;
use burn::data::dataloader::DataLoaderBuilder;
use shiftkit_data::{DomainBatch, ImageConfig, ImageFolder, SampleDataset};

/// The process's peak resident memory so far, in MiB (Linux).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn write_images(dir: &Path, n: usize, side: u32) -> Result<(), Box<dyn Error>> {
    for i in 0..n {
        let class = dir.join(format!("class{}", i % 10));
        std::fs::create_dir_all(&class)?;
        let path = class.join(format!("{i:07}.png"));
        if path.exists() {
            continue;
        }
        let image = image::RgbImage::from_fn(side, side, |x, y| {
            let v = ((x * 7 + y * 13 + i as u32 * 31) % 256) as u8;
            image::Rgb([v, v.wrapping_mul(3), v.wrapping_add(90)])
        });
        image.save(&path)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, n, side) = match args.as_slice() {
        [_, dir, n, side] => (Path::new(dir), n.parse::<usize>()?, side.parse::<u32>()?),
        _ => return Err("usage: folder_memory DIR N SIDE".into()),
    };
    write_images(dir, n, side)?;
    let before = peak_mib();
    let folder = ImageFolder::classes(dir, ImageConfig::new(side, side))?;
    let data = SampleDataset::from(folder);
    let loader = DataLoaderBuilder::<NdArray, _, DomainBatch<NdArray, 4>>::new(data.batcher())
        .batch_size(64)
        .num_workers(4)
        .build(data.clone());
    let (mut seen, mut sum) = (0, 0.0f64);
    for batch in loader.iter() {
        seen += batch.len();
        sum += f64::from(batch.inputs.sum().into_scalar());
    }
    let decoded = (seen * 3 * (side * side) as usize * 4) as f64 / (1024.0 * 1024.0);
    println!(
        "{seen} images of {side}x{side}: peak resident {before:.0} MiB before reading, {:.0} MiB after; \
         all decoded at once would take {decoded:.0} MiB (checksum {sum:.3e})",
        peak_mib()
    );
    Ok(())
}
