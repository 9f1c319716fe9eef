//! The `adapt` program as a user runs it, on small fixtures written into a scratch folder: a
//! CSV pair (two blobs per class, the target shifted) and a pair of image folders (a square
//! and a circle, the target in colour and inverted), trained for a few steps; the label-free
//! choice; prediction with the saved model; and bad input refused with one line.

use std::path::Path;
use std::process::{Command, Output};

use shiftkit_testkit::Scratch;

fn adapt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_adapt"))
}

fn run(args: &[&str], paths: &[(&str, &Path)]) -> Output {
    let mut command = adapt();
    command.args(args);
    for (flag, path) in paths {
        command.arg(flag).arg(path);
    }
    command.output().expect("adapt runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

/// A deterministic generator of numbers in `[0, 1)`.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// About normal (a sum of four uniforms, centred and scaled).
    fn normal(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| self.next()).sum();
        (sum - 2.0) * 3f64.sqrt()
    }
}

/// A CSV of `rows` rows, two blobs a class (`a` left, `b` right), shifted by `shift` along
/// x; `extra` adds a third feature column; `label` names the label column (none: unlabelled).
fn blobs(rows: usize, shift: f64, seed: u64, extra: bool, label: Option<&str>) -> String {
    let mut numbers = Numbers(seed);
    let mut text = String::from("x,y");
    if extra {
        text.push_str(",z");
    }
    if let Some(label) = label {
        text.push_str(&format!(",{label}"));
    }
    text.push('\n');
    for i in 0..rows {
        let class = i % 2;
        // Two blobs a class: above and below the axis.
        let cx = if class == 0 { -2.0 } else { 2.0 } + shift;
        let cy = if (i / 2) % 2 == 0 { 1.5 } else { -1.5 };
        let x = cx + 0.6 * numbers.normal();
        let y = cy + 0.6 * numbers.normal();
        text.push_str(&format!("{x:.4},{y:.4}"));
        if extra {
            text.push_str(",0.5");
        }
        if label.is_some() {
            text.push_str(if class == 0 { ",a" } else { ",b" });
        }
        text.push('\n');
    }
    text
}

/// The CSV pair: source, and the target with its labels (the target and its test set).
fn csv_pair(dir: &Scratch) -> (std::path::PathBuf, std::path::PathBuf) {
    let source = dir.write(
        "source.csv",
        blobs(160, 0.0, 1, false, Some("label")).as_bytes(),
    );
    let target = dir.write(
        "target.csv",
        blobs(120, 1.0, 2, false, Some("label")).as_bytes(),
    );
    (source, target)
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_csv_pair_trains_writes_everything_and_predicts_alike() {
    let dir = Scratch::new("adapt-csv");
    let (source, target) = csv_pair(&dir);
    let out = dir.join("out");
    let output = run(
        &["--method", "dann", "--steps", "12", "--batch-size", "32"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--target-test", &target),
            ("--out", &out),
        ],
    );
    assert_ok(&output);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("target acc %") && table.contains("dann"),
        "{table}"
    );

    let summary = json(&out.join("summary.json"));
    let runs = summary["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{summary}");
    let record = &runs[0];
    assert_eq!(record["method"], "dann", "{summary}");
    assert_eq!(record["model"], "mlp", "{summary}");
    assert_eq!(record["seed"], 0, "{summary}");
    for key in ["target_accuracy", "source_accuracy"] {
        let value = record[key].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&value), "{key}: {summary}");
    }
    assert_eq!(summary["chosen"], "dann", "{summary}");

    let manifest = json(&out.join("adapt.json"));
    assert_eq!(manifest["model"], "mlp", "{manifest}");
    assert_eq!(
        manifest["classes"],
        serde_json::json!(["a", "b"]),
        "{manifest}"
    );
    assert_eq!(manifest["shape"], serde_json::json!([2]), "{manifest}");
    for file in [
        "encoder.mpk",
        "encoder.json",
        "history_dann_mlp_seed0.json",
        "curves_dann_mlp_seed0.png",
        "latent.png",
    ] {
        assert!(out.join(file).is_file(), "{file} is written");
    }

    let predictions = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let lines: Vec<&str> = predictions.lines().collect();
    assert_eq!(lines[0], "item,class,confidence");
    assert_eq!(lines.len(), 1 + 120, "one row per target row");
    assert!(lines[1].starts_with("0,"), "{}", lines[1]);

    // The saved model, reading the file again, predicts the same.
    let again = dir.join("again");
    let output = run(
        &["--predict"],
        &[
            ("--model-dir", &out),
            ("--input", &target),
            ("--out", &again),
        ],
    );
    assert_ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("accuracy on its labels"), "{stdout}");
    let repeated = std::fs::read_to_string(again.join("predictions.csv")).unwrap();
    assert_eq!(repeated, predictions);

    // A second run into the same folders is refused, and leaves the first run's files as they
    // were; `--overwrite` replaces them.
    let paths = [
        ("--source", source.as_path()),
        ("--target", target.as_path()),
        ("--out", out.as_path()),
    ];
    assert_refused(
        &["--method", "dann", "--steps", "12"],
        &paths,
        &["adapt.json", "--overwrite"],
    );
    let predict = [
        ("--model-dir", out.as_path()),
        ("--input", target.as_path()),
        ("--out", again.as_path()),
    ];
    assert_refused(&["--predict"], &predict, &["predictions.csv"]);
    assert_eq!(
        std::fs::read_to_string(out.join("predictions.csv")).unwrap(),
        predictions
    );
    let args = [
        "--method",
        "dann",
        "--steps",
        "12",
        "--batch-size",
        "32",
        "--overwrite",
    ];
    assert_ok(&run(&args, &paths));
}

/// A 16x16 picture: a bright square or circle at an offset, on black; in colour (a red
/// tint) and inverted for the target.
fn shape(square: bool, offset: u32, target: bool) -> image::RgbImage {
    image::RgbImage::from_fn(16, 16, |x, y| {
        let (cx, cy) = (7.5 + offset as f32 - 1.0, 7.5);
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let inside = if square {
            dx.abs() <= 4.0 && dy.abs() <= 4.0
        } else {
            dx * dx + dy * dy <= 16.0
        };
        let v = if inside { 230u8 } else { 20 };
        if target {
            let v = 255 - v;
            image::Rgb([v, v / 2, v / 3])
        } else {
            image::Rgb([v, v, v])
        }
    })
}

/// `root/circle/*.png` and `root/square/*.png`, `per_class` each.
fn shape_folders(root: &Path, per_class: u32, target: bool) {
    for (name, square) in [("circle", false), ("square", true)] {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..per_class {
            let picture = shape(square, i % 3, target);
            if target {
                picture.save(dir.join(format!("{i:02}.png"))).unwrap();
            } else {
                image::DynamicImage::ImageRgb8(picture)
                    .to_luma8()
                    .save(dir.join(format!("{i:02}.png")))
                    .unwrap();
            }
        }
    }
}

#[test]
fn image_folders_train_the_cnn() {
    let dir = Scratch::new("adapt-images");
    let (source, target) = (dir.join("source"), dir.join("target"));
    shape_folders(&source, 12, false);
    shape_folders(&target, 12, true);
    let out = dir.join("out");
    let output = run(
        &[
            "--method",
            "dann",
            "--steps",
            "3",
            "--batch-size",
            "8",
            "--image-size",
            "16",
        ],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--target-test", &target),
            ("--out", &out),
        ],
    );
    assert_ok(&output);
    let manifest = json(&out.join("adapt.json"));
    assert_eq!(manifest["model"], "cnn", "{manifest}");
    assert_eq!(manifest["input"], "images", "{manifest}");
    // The grey source is read in colour: the target is.
    assert_eq!(manifest["image"]["channels"], 3, "{manifest}");
    assert_eq!(
        manifest["shape"],
        serde_json::json!([3, 16, 16]),
        "{manifest}"
    );
    assert_eq!(
        manifest["classes"],
        serde_json::json!(["circle", "square"]),
        "{manifest}"
    );
    assert_eq!(
        manifest["normalisation"]["mean"].as_array().unwrap().len(),
        3
    );
    let summary = json(&out.join("summary.json"));
    assert!(
        summary["runs"][0]["target_accuracy"].is_number(),
        "{summary}"
    );
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let rows: Vec<&str> = predictions.lines().skip(1).collect();
    assert_eq!(rows.len(), 24);
    assert!(rows.iter().all(|r| r.contains(".png,")), "{predictions}");
    assert!(out.join("encoder.mpk").is_file());

    // The saved model reads the images as training did: the same predictions.
    let output = run(
        &["--predict"],
        &[("--model-dir", &out), ("--input", &target)],
    );
    assert_ok(&output);
    let repeated = std::fs::read_to_string(out.join("predict").join("predictions.csv")).unwrap();
    assert_eq!(repeated, predictions);
}

#[test]
fn auto_chooses_among_every_method_with_source_only() {
    let dir = Scratch::new("adapt-auto");
    let (source, target) = csv_pair(&dir);
    let out = dir.join("out");
    let output = run(
        &["--steps", "4", "--batch-size", "64"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &out),
        ],
    );
    assert_ok(&output);
    let selection = json(&out.join("selection.json"));
    let candidates = selection["candidates"].as_array().expect("candidates");
    let failed = selection["failed"].as_array().expect("failed");
    let labels: Vec<&str> = candidates
        .iter()
        .chain(failed)
        .filter_map(|c| c["label"].as_str())
        .collect();
    assert!(labels.contains(&"source_only"), "{selection}");
    assert_eq!(labels.len(), 8, "every preset: {selection}");
    let summary = json(&out.join("summary.json"));
    let runs = summary["runs"].as_array().unwrap();
    assert_eq!(runs.len(), candidates.len(), "{summary}");
    // No --target-test: no target accuracy.
    assert!(
        runs.iter().all(|r| r.get("target_accuracy").is_none()),
        "{summary}"
    );
    assert_eq!(runs.iter().filter(|r| r["chosen"] == true).count(), 1);
    let manifest = json(&out.join("adapt.json"));
    assert_eq!(manifest["method"], summary["chosen"], "{manifest}");
    assert_eq!(
        std::fs::read_to_string(out.join("predictions.csv"))
            .unwrap()
            .lines()
            .count(),
        121
    );
}

/// Runs `adapt` on bad input: a non-zero status, and one line on stderr, `error: ...`,
/// naming `names`.
fn assert_refused(args: &[&str], paths: &[(&str, &Path)], names: &[&str]) {
    let output = run(args, paths);
    let text = stderr(&output);
    assert!(!output.status.success(), "{args:?} {paths:?}: {text}");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {text}");
    assert!(lines[0].starts_with("error: "), "{text}");
    for name in names {
        assert!(lines[0].contains(name), "{name} named: {text}");
    }
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn bad_input_is_refused_with_one_line_naming_the_file() {
    let dir = Scratch::new("adapt-refused");
    let out = dir.join("out");
    let (source, target) = csv_pair(&dir);
    let steps = ["--steps", "1"];

    // An empty class folder.
    let images = dir.join("empty-class");
    shape_folders(&images, 2, false);
    std::fs::create_dir_all(images.join("triangle")).unwrap();
    assert_refused(
        &steps,
        &[
            ("--source", &images),
            ("--target", &images),
            ("--out", &out),
        ],
        &["triangle"],
    );

    // A corrupt PNG.
    let corrupt = dir.join("corrupt");
    shape_folders(&corrupt, 2, false);
    std::fs::write(
        corrupt.join("circle").join("broken.png"),
        b"\x89PNG\r\n\x1a\nnot really",
    )
    .unwrap();
    assert_refused(
        &steps,
        &[
            ("--source", &corrupt),
            ("--target", &images),
            ("--out", &out),
        ],
        &["broken.png"],
    );

    // A target with another number of feature columns.
    let wide = dir.write("wide.csv", blobs(20, 0.0, 3, true, None).as_bytes());
    assert_refused(
        &steps,
        &[("--source", &source), ("--target", &wide), ("--out", &out)],
        &["wide.csv", "3 feature columns"],
    );

    // A label column the source does not have.
    assert_refused(
        &["--steps", "1", "--label-column", "class"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &out),
        ],
        &["source.csv", "\"class\""],
    );

    // A target-test class the source does not have.
    let other = dir.write(
        "other.csv",
        blobs(20, 0.0, 4, false, Some("label"))
            .replace(",b\n", ",zebra\n")
            .as_bytes(),
    );
    assert_refused(
        &steps,
        &[
            ("--source", &source),
            ("--target", &target),
            ("--target-test", &other),
            ("--out", &out),
        ],
        &["other.csv", "zebra"],
    );

    // An unknown method, and a regression on class labels.
    assert_refused(
        &["--method", "dann,nonsense"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &out),
        ],
        &["nonsense"],
    );
    assert_refused(
        &["--task", "regression"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &out),
        ],
        &["regression"],
    );
    // Huber's loss for classes.
    assert_refused(
        &["--huber", "1"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &out),
        ],
        &["--huber"],
    );
    // An unlabelled source.
    let unlabelled = dir.write("unlabelled.csv", blobs(20, 0.0, 5, false, None).as_bytes());
    assert_refused(
        &steps,
        &[
            ("--source", &unlabelled),
            ("--target", &target),
            ("--out", &out),
        ],
        &["unlabelled.csv"],
    );
    assert!(!out.exists(), "nothing written");
}

/// A CSV of `rows` rows of `x` in R^3 and, with `label`, `y = a·x + 0.3 x1 x2` plus a little
/// noise; the target is shifted along x1.
fn regression_csv(rows: usize, shift: f64, seed: u64, label: bool) -> String {
    let mut numbers = Numbers(seed);
    let mut text = String::from(if label { "x1,x2,x3,y\n" } else { "x1,x2,x3\n" });
    for _ in 0..rows {
        let x = [
            shift + numbers.normal(),
            numbers.normal(),
            numbers.normal() - 0.5 * shift,
        ];
        text.push_str(&format!("{:.4},{:.4},{:.4}", x[0], x[1], x[2]));
        if label {
            let y =
                1.5 * x[0] - 0.8 * x[1] + 0.5 * x[2] + 0.3 * x[0] * x[1] + 0.05 * numbers.normal();
            text.push_str(&format!(",{y:.4}"));
        }
        text.push('\n');
    }
    text
}

/// The regression pair: source, target (unlabelled) and its labelled test set.
fn regression_pair(dir: &Scratch) -> [std::path::PathBuf; 3] {
    [
        dir.write("source.csv", regression_csv(200, 0.0, 1, true).as_bytes()),
        dir.write("target.csv", regression_csv(100, 1.0, 2, false).as_bytes()),
        dir.write("test.csv", regression_csv(100, 1.0, 3, true).as_bytes()),
    ]
}

#[test]
fn a_regression_trains_writes_values_and_predicts_alike() {
    let dir = Scratch::new("adapt-regression");
    let [source, target, test] = regression_pair(&dir);
    let out = dir.join("out");
    let args = [
        "--task",
        "regression",
        "--method",
        "dann",
        "--steps",
        "30",
        "--batch-size",
        "32",
        "--label-column",
        "y",
    ];
    let output = run(
        &args,
        &[
            ("--source", &source),
            ("--target", &target),
            ("--target-test", &test),
            ("--out", &out),
        ],
    );
    assert_ok(&output);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("target MAE") && table.contains("R²"),
        "{table}"
    );
    let summary = json(&out.join("summary.json"));
    let record = &summary["runs"][0];
    assert_eq!(record["method"], "dann", "{summary}");
    for key in [
        "target_mae",
        "target_rmse",
        "target_r2",
        "source_mae",
        "source_rmse",
        "source_r2",
        "seconds",
    ] {
        assert!(record[key].is_number(), "{key}: {summary}");
    }
    assert!(record.get("target_accuracy").is_none(), "{summary}");
    assert_eq!(json(&out.join("adapt.json"))["task"], "regression");
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let lines: Vec<&str> = predictions.lines().collect();
    assert_eq!(lines[0], "item,value");
    assert_eq!(lines.len(), 1 + 100, "one row per target row");

    // The saved model predicts the same, and measures its errors on labelled input.
    let again = dir.join("again");
    let output = run(
        &["--predict"],
        &[
            ("--model-dir", &out),
            ("--input", &target),
            ("--out", &again),
        ],
    );
    assert_ok(&output);
    assert_eq!(
        std::fs::read_to_string(again.join("predictions.csv")).unwrap(),
        predictions
    );
    let output = run(
        &["--predict", "--overwrite"],
        &[("--model-dir", &out), ("--input", &test), ("--out", &again)],
    );
    assert_ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("MAE") && stdout.contains("R²"), "{stdout}");

    // Huber's loss trains the same run to other predictions.
    let huber = dir.join("huber");
    let output = run(
        &[&args[..], &["--huber", "0.05"]].concat(),
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &huber),
        ],
    );
    assert_ok(&output);
    assert_ne!(
        std::fs::read_to_string(huber.join("predictions.csv")).unwrap(),
        predictions
    );
}

#[test]
fn a_regression_chooses_among_the_methods_without_classes() {
    let dir = Scratch::new("adapt-regression-auto");
    let [source, target, _] = regression_pair(&dir);
    let out = dir.join("out");
    // No --task: the float labels make it a regression.
    let output = run(
        &["--steps", "4", "--batch-size", "64", "--label-column", "y"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &out),
        ],
    );
    assert_ok(&output);
    assert_eq!(json(&out.join("adapt.json"))["task"], "regression");
    let selection = json(&out.join("selection.json"));
    assert_eq!(selection["validator"], "dev", "{selection}");
    let mut labels: Vec<&str> = selection["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .chain(selection["failed"].as_array().expect("failed"))
        .filter_map(|c| c["label"].as_str())
        .collect();
    labels.sort_unstable();
    assert_eq!(
        labels,
        ["coral", "dann", "mmd", "source_only"],
        "{selection}"
    );
    let summary = json(&out.join("summary.json"));
    let runs = summary["runs"].as_array().unwrap();
    assert!(
        runs.iter()
            .all(|r| r["source_mae"].is_number() && r.get("target_mae").is_none()),
        "{summary}"
    );

    // A method that needs classes, and a validator that reads them, are refused.
    let pair: [(&str, &Path); 3] = [
        ("--source", &source),
        ("--target", &target),
        ("--out", &dir.join("refused")),
    ];
    assert_refused(
        &[
            "--task",
            "regression",
            "--method",
            "mcc",
            "--label-column",
            "y",
        ],
        &pair,
        &["mcc", "classes"],
    );
    assert_refused(
        &["--validator", "im", "--label-column", "y"],
        &pair,
        &["im", "dev or iwcv"],
    );
}

#[test]
fn a_resnet_trains_from_torchvision_weights_and_embeds_images() {
    let dir = Scratch::new("adapt-resnet");
    let (source, target) = (dir.join("source"), dir.join("target"));
    shape_folders(&source, 6, false);
    shape_folders(&target, 6, true);
    // A ResNet-18 backbone under torchvision's names (Burn's initialisation).
    let weights = dir.join("resnet18.safetensors");
    shiftkit::nn::ResNetConfig::resnet18()
        .with_image_size([32, 32])
        .init::<shiftkit::backend::CpuInner>(&Default::default())
        .unwrap()
        .save_backbone(&weights)
        .unwrap();

    // Two steps of DANN with a ResNet-18 from `weights`, writing to `out`.
    let train = |extra: &[&str], out: &Path| {
        let steps = ["--model", "resnet18", "--method", "dann", "--steps", "2"];
        let sizes = ["--batch-size", "4", "--image-size", "32"];
        run(
            &[&steps[..], &sizes, extra].concat(),
            &[
                ("--source", &source),
                ("--target", &target),
                ("--target-test", &target),
                ("--weights", &weights),
                ("--out", out),
            ],
        )
    };
    let out = dir.join("out");
    assert_ok(&train(&[], &out));
    let manifest = json(&out.join("adapt.json"));
    assert_eq!(manifest["model"], "resnet18", "{manifest}");
    // torchvision's weights read RGB with ImageNet's statistics (the grey source promoted).
    assert_eq!(manifest["image"]["channels"], 3, "{manifest}");
    let mean: Vec<f64> = manifest["normalisation"]["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        (mean[0] - 0.485).abs() < 1e-6 && (mean[2] - 0.406).abs() < 1e-6,
        "{mean:?}"
    );
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["runs"][0]["model"], "resnet18", "{summary}");
    assert_eq!(json(&out.join("encoder.json"))["kind"], "resnet");
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let output = run(
        &["--predict"],
        &[("--model-dir", &out), ("--input", &target)],
    );
    assert_ok(&output);
    let repeated = std::fs::read_to_string(out.join("predict").join("predictions.csv")).unwrap();
    assert_eq!(repeated, predictions);

    // The backbone's pooled features of every target image, rows in sorted path order.
    let embedded = dir.join("embedded");
    let output = run(
        &["--model", "resnet18", "--image-size", "32"],
        &[
            ("--embed", &target),
            ("--weights", &weights),
            ("--out", &embedded),
        ],
    );
    assert_ok(&output);
    let bytes = std::fs::read(embedded.join("features.npy")).unwrap();
    let header = String::from_utf8_lossy(&bytes[..128]).into_owned();
    assert!(header.contains("'shape': (12, 512, )"), "{header}");
    assert!(header.contains("'<f4'"), "{header}");
    let paths = std::fs::read_to_string(embedded.join("features.csv")).unwrap();
    let rows: Vec<&str> = paths.lines().skip(1).collect();
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0], "0,circle/00.png");
    assert_eq!(rows[11], "11,square/05.png");

    // A frozen backbone trains the bottleneck and the head alone.
    assert_ok(&train(&["--freeze-backbone"], &dir.join("frozen")));

    // Weights for a network that takes none, and --embed without weights.
    assert_refused(
        &["--model", "cnn", "--steps", "1"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--weights", &weights),
            ("--out", &dir.join("refused")),
        ],
        &["--weights"],
    );
    assert_refused(
        &["--model", "resnet18"],
        &[("--embed", &target), ("--out", &dir.join("refused"))],
        &["--weights"],
    );
    assert_refused(
        &["--model", "cnn", "--freeze-backbone", "--steps", "1"],
        &[
            ("--source", &source),
            ("--target", &target),
            ("--out", &dir.join("refused")),
        ],
        &["--freeze-backbone"],
    );
    // Weights of another depth name the key.
    assert_refused(
        &["--model", "resnet34", "--image-size", "32"],
        &[
            ("--embed", &target),
            ("--weights", &weights),
            ("--out", &dir.join("refused")),
        ],
        &["resnet18.safetensors", "layer1.2"],
    );
}
