//! Runs `tests/conformance/vectors.json` (the cases of the peers' own test suites, see
//! `tests/conformance/FORMAT.md`) through the conformance runner under `cargo test`: fails on any
//! case that fails and is not listed in `tests/conformance/exceptions.toml`, on any listed case
//! that passes, and when the vectors are missing.

#[path = "../examples/conformance/engine.rs"]
#[allow(dead_code)]
mod engine;
#[path = "../examples/conformance/runner.rs"]
#[allow(dead_code)]
mod runner;
#[path = "../examples/conformance/tracewire_subject.rs"]
mod tracewire_subject;

use std::path::PathBuf;

#[test]
fn shared_vectors() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("tests/conformance/vectors.json");
    let cases = runner::load(&file).expect("the conformance vectors are part of the repository");
    assert!(cases.len() > 500, "{} cases only", cases.len());
    let ex = runner::Exceptions::load(&root.join("tests/conformance/exceptions.toml"))
        .expect("exceptions load");
    let mut out = Vec::new();
    let s = runner::run_all(&cases, &ex, None, false, &mut out);
    let report = String::from_utf8_lossy(&out);
    println!("{report}{}", s.line());
    assert_eq!(s.failed, 0, "conformance failures:\n{report}\n{}", s.line());
}

/// Our own cases in the same format (the worked vectors of docs/BEHAVIOUR.md §11): the runner
/// works on any file in the format.
#[test]
fn semantics_vectors() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cases = runner::load(&root.join("tests/conformance/semantics_vectors.json")).expect("load");
    assert!(cases.len() >= 8);
    let ex = runner::Exceptions::default();
    let mut out = Vec::new();
    let s = runner::run_all(&cases, &ex, None, false, &mut out);
    let report = String::from_utf8_lossy(&out);
    assert_eq!((s.failed, s.passed), (0, cases.len()), "{report}");
}

/// Cases written for the second conformance round (docs/BEHAVIOUR.md §12 #45–#49, the
/// `serialize` kind and the absence rules), each naming its source.
#[test]
fn round2_vectors() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cases = runner::load(&root.join("tests/conformance/round2_vectors.json")).expect("load");
    assert!(cases.len() >= 10);
    let ex = runner::Exceptions::default();
    let mut out = Vec::new();
    let s = runner::run_all(&cases, &ex, None, true, &mut out);
    let report = String::from_utf8_lossy(&out);
    assert_eq!((s.failed, s.passed), (0, cases.len()), "{report}");
}
