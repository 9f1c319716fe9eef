//! The checkpoint directory: what is written reads back whole, the newest are kept, and every
//! kind of damage is named with its file.

use std::fs;
use std::path::Path;

use shiftkit_store::{
    FORMAT, MANIFEST, Manifest, StoreError, latest, list, read, read_manifest, write,
};
use shiftkit_testkit::Scratch;

fn manifest(epoch: usize) -> Manifest {
    Manifest {
        format: FORMAT,
        shiftkit_version: "0.1.0".to_string(),
        epoch,
        step: epoch * 10,
        config: serde_json::json!({ "lr": 0.001 }),
        files: Vec::new(),
        checksum: String::new(),
    }
}

fn save(dir: &Path, epoch: usize, keep: usize) -> Result<std::path::PathBuf, StoreError> {
    let files = [
        ("model.mpk", vec![epoch as u8; 100 + epoch]),
        ("state.json", format!("{{\"epoch\": {epoch}}}").into_bytes()),
    ];
    write(dir, manifest(epoch), &files, keep)
}

#[test]
fn a_checkpoint_reads_back_as_written() {
    let scratch = Scratch::new("store");
    let path = save(scratch.path(), 3, 2).unwrap();
    assert_eq!(path, scratch.path().join("epoch-000003"));
    let (read_back, files) = read(&path).unwrap();
    assert_eq!(read_back.epoch, 3);
    assert_eq!(read_back.step, 30);
    assert_eq!(read_back.files.len(), 2);
    assert_eq!(files["model.mpk"], vec![3u8; 103]);
    assert_eq!(files["state.json"], b"{\"epoch\": 3}");
    assert_eq!(read_manifest(&path).unwrap(), read_back);
}

#[test]
fn the_newest_are_kept_and_debris_is_removed() {
    let scratch = Scratch::new("store");
    fs::create_dir_all(scratch.path().join(".partial-epoch-000009-1")).unwrap();
    for epoch in 1..=4 {
        save(scratch.path(), epoch, 2).unwrap();
    }
    let epochs: Vec<usize> = list(scratch.path()).unwrap().iter().map(|e| e.0).collect();
    assert_eq!(epochs, [3, 4]);
    assert_eq!(
        latest(scratch.path()).unwrap(),
        Some(scratch.path().join("epoch-000004"))
    );
    let hidden = fs::read_dir(scratch.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(hidden, 0);
}

#[test]
fn a_missing_directory_holds_no_checkpoint() {
    let scratch = Scratch::new("store");
    assert_eq!(list(&scratch.path().join("absent")).unwrap(), []);
    assert_eq!(latest(&scratch.path().join("absent")).unwrap(), None);
}

#[test]
fn writing_at_or_behind_the_newest_epoch_is_refused_and_keeps_it() {
    let scratch = Scratch::new("store");
    save(scratch.path(), 5, 2).unwrap();
    for epoch in [5, 4] {
        match save(scratch.path(), epoch, 2) {
            Err(StoreError::Ahead {
                found, epoch: e, ..
            }) => assert_eq!((found, e), (5, epoch)),
            other => panic!("expected Ahead, got {other:?}"),
        }
    }
    let (_, files) = read(&scratch.path().join("epoch-000005")).unwrap();
    assert_eq!(files["model.mpk"], vec![5u8; 105]);
}

#[test]
fn a_truncated_file_is_named_with_both_lengths() {
    let scratch = Scratch::new("store");
    let path = save(scratch.path(), 1, 2).unwrap();
    let model = path.join("model.mpk");
    fs::write(&model, vec![1u8; 50]).unwrap();
    match read(&path) {
        Err(StoreError::Truncated {
            file,
            expected,
            found,
        }) => assert_eq!((file, expected, found), (model, 101, 50)),
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn a_changed_byte_is_caught_by_the_checksum() {
    let scratch = Scratch::new("store");
    let path = save(scratch.path(), 1, 2).unwrap();
    let state = path.join("state.json");
    let mut bytes = fs::read(&state).unwrap();
    bytes[1] ^= 1;
    fs::write(&state, bytes).unwrap();
    match read(&path) {
        Err(StoreError::Corrupt { file, problem }) => {
            assert_eq!(file, state);
            assert!(problem.contains("checksum"), "{problem}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn an_edited_manifest_breaks_its_seal() {
    let scratch = Scratch::new("store");
    let path = save(scratch.path(), 1, 2).unwrap();
    let file = path.join(MANIFEST);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("\"step\": 10", "\"step\": 11")).unwrap();
    assert!(matches!(read_manifest(&path), Err(StoreError::Corrupt { file: f, .. }) if f == file));
}

#[test]
fn a_newer_format_is_reported_as_such() {
    let scratch = Scratch::new("store");
    let path = save(scratch.path(), 1, 2).unwrap();
    let file = path.join(MANIFEST);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("\"format\": 1", "\"format\": 7")).unwrap();
    match read_manifest(&path) {
        Err(StoreError::Version {
            found, supported, ..
        }) => assert_eq!((found, supported), (7, FORMAT)),
        other => panic!("expected Version, got {other:?}"),
    }
}

#[test]
fn a_missing_file_is_an_io_failure_naming_it() {
    let scratch = Scratch::new("store");
    let path = save(scratch.path(), 1, 2).unwrap();
    fs::remove_file(path.join("model.mpk")).unwrap();
    match read(&path) {
        Err(StoreError::Io(failure)) => {
            assert_eq!(failure.path, path.join("model.mpk"));
            assert_eq!(failure.kind, std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }
}
