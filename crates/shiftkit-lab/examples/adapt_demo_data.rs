//! Writes the data `cargo digits` trains on as a user would bring it, for `cargo adapt`: the
//! MNIST source training split as PNGs in class folders (the labelled source), the optdigits
//! training split as a flat folder of PNGs (the unlabelled target) and its test split in class
//! folders, and the two moons as CSV tables (the `moons` program's pair of seed 0; the source
//! and the target test with a `label` column of class names), and again as a regression: each point labelled with the number
//! `x - y/2 + 0.3 x y` (`moons-values-*.csv`), the target rotated as for the classes.
//!
//! ```sh
//! cargo run --release -p shiftkit-lab --example adapt_demo_data -- DIR
//! cargo adapt --source DIR/mnist --target DIR/optdigits --target-test DIR/optdigits-test \
//!     --model cnn --method dann --steps 600 --out DIR/out
//! ```

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::data::dataset::Dataset;
use shiftkit::data::{DigitDataset, DigitsPair, MoonsConfig, PointDataset};

/// The 28x28 pixels in `[0, 1]` as a greyscale PNG.
fn png(path: &Path, pixels: &[f32]) -> Result<(), Box<dyn Error>> {
    let bytes = pixels
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let image = image::GrayImage::from_raw(28, 28, bytes).ok_or("a digit has 784 pixels")?;
    Ok(image.save(path)?)
}

/// The first `n` digits of `data` under `dir`, in class folders or flat.
fn digits(dir: &Path, data: &DigitDataset, n: usize, classes: bool) -> Result<(), Box<dyn Error>> {
    for i in 0..data.len().min(n) {
        let item = data.get(i).ok_or("a digit within the length")?;
        let folder = match classes {
            true => dir.join(item.label.to_string()),
            false => dir.to_path_buf(),
        };
        std::fs::create_dir_all(&folder)?;
        png(&folder.join(format!("{i:05}.png")), &item.pixels)?;
    }
    Ok(())
}

/// What a CSV row of a point carries besides its coordinates.
#[derive(Clone, Copy, PartialEq)]
enum Column {
    /// Nothing: unlabelled.
    None,
    /// The moon's name.
    Class,
    /// A number, `x - y/2 + 0.3 x y`.
    Value,
}

/// The points of `data` as a CSV table, with a `label` column as `column` says.
fn points(path: &Path, data: &PointDataset, column: Column) -> Result<(), Box<dyn Error>> {
    let header = if column == Column::None {
        "x,y\n"
    } else {
        "x,y,label\n"
    };
    let mut text = String::from(header);
    for item in data.iter() {
        let [x, y] = item.x;
        match column {
            Column::None => writeln!(text, "{x},{y}")?,
            Column::Class => {
                let name = ["upper", "lower"][usize::from(item.label)];
                writeln!(text, "{x},{y},{name}")?
            }
            Column::Value => writeln!(text, "{x},{y},{}", x - 0.5 * y + 0.3 * x * y)?,
        }
    }
    Ok(std::fs::write(path, text)?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let root: PathBuf = std::env::args()
        .nth(1)
        .ok_or("usage: adapt_demo_data DIR")?
        .into();
    let pair = DigitsPair::embedded(0)?;
    digits(&root.join("mnist"), &pair.source_train, usize::MAX, true)?;
    digits(
        &root.join("optdigits"),
        &pair.target_train,
        usize::MAX,
        false,
    )?;
    digits(
        &root.join("optdigits-test"),
        &pair.target_test,
        usize::MAX,
        true,
    )?;
    // The classes: the `moons` program's pair of seed 0 (600 points); the numbers: 300 points.
    let program = MoonsConfig::new().with_n_samples(600).init()?;
    let values = MoonsConfig::new().init()?;
    for (stem, column, moons) in [
        ("moons", Column::Class, &program),
        ("moons-values", Column::Value, &values),
    ] {
        let file = |part: &str| root.join(format!("{stem}-{part}.csv"));
        points(&file("source"), &moons.source_train, column)?;
        points(&file("target"), &moons.target_train, Column::None)?;
        points(&file("target-test"), &moons.target_test, column)?;
    }
    println!("written to {}/", root.display());
    Ok(())
}
