//! The programs as a user runs them: a short digits run writes its table's numbers, and a bad
//! option is refused as clap refuses one. (Building this test also builds the programs for the
//! test command's kill-and-resume check, with the tests' dependency features: no second build
//! of Burn.)

use std::path::PathBuf;
use std::process::Command;

fn digits() -> Command {
    Command::new(env!("CARGO_BIN_EXE_digits"))
}

#[test]
fn a_short_digits_run_writes_its_summary() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("digits_short");
    let _ = std::fs::remove_dir_all(&out);
    // One epoch (125 steps: --steps rounds up to whole epochs).
    let output = digits()
        .args(["--method", "dann", "--steps", "20", "--out"])
        .arg(&out)
        .output()
        .expect("digits runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("target acc %"), "{table}");
    let summary = std::fs::read_to_string(out.join("summary.json")).expect("a summary");
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let text = summary.to_string();
    assert!(text.contains("\"dann\""), "{text}");
    assert!(out.join("history_dann_mlp_seed0.json").exists());
}

#[test]
fn a_bad_option_is_refused_with_status_2() {
    let output = digits()
        .args(["--method", "nonsense"])
        .output()
        .expect("digits runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nonsense"), "{stderr}");
}

#[test]
fn options_that_would_be_ignored_or_misread_are_refused_before_training() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("digits_refused");
    let cases: [(&[&str], &str); 9] = [
        (&["--domain-weight", "0"], "--method source_only"),
        (&["--seed", "1", "--seeds", "2,3"], "cannot be used with"),
        (&["--source-size", "5"], "--data-dir"),
        (&["--choose-epoch"], "--choose-epoch goes with"),
        (&["--select", "lr=0.001", "--latent"], "no --latent"),
        (
            &["--method", "dann", "--select", "mmd-weight=1,2"],
            "none of the methods",
        ),
        (&["--select", "lr=0.1", "--select", "lr=0.2"], "given twice"),
        (&["--export", "encoder.json"], "another extension"),
        (
            &[
                "--nodes",
                "127.0.0.1:3010,127.0.0.1:3011",
                "--node-rank",
                "2",
                "--orchestrator",
                "127.0.0.1:3000",
            ],
            "`node rank` = 2 is invalid: below the number of nodes",
        ),
    ];
    for (args, expected) in cases {
        let output = digits()
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("digits runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_run_that_fails_leaves_the_summary_of_the_runs_before_it() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("digits_part_way");
    let _ = std::fs::remove_dir_all(&root);
    let (out, checkpoints) = (root.join("out"), root.join("checkpoints"));
    // The second run's checkpoint directory already holds a later epoch: it is refused
    // before it trains, after the first run has ended.
    std::fs::create_dir_all(checkpoints.join("dann_mlp_seed0").join("epoch-000009")).unwrap();
    let output = digits()
        .args(["--method", "source_only,dann", "--steps", "20", "--out"])
        .arg(&out)
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .output()
        .expect("digits runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("epoch-000009") || stderr.contains("epoch 9"),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).expect("a summary");
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let runs = summary["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{summary}");
    assert_eq!(runs[0]["method"], "source_only", "{summary}");
    assert!(out.join("history_source_only_mlp_seed0.json").exists());
    assert!(!out.join("history_dann_mlp_seed0.json").exists());
}
