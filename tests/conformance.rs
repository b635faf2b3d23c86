//! Runs `../shared/conformance/vectors.json` through the conformance runner under `cargo test`:
//! fails on any case that fails and is not listed in `tests/conformance/exceptions.toml`, and on
//! any listed case that passes.

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
    let file = root.join("../shared/conformance/vectors.json");
    if !file.exists() {
        eprintln!(
            "{} not found: skipping (the shared folder sits beside the repository)",
            file.display()
        );
        return;
    }
    let cases = runner::load(&file).expect("vectors load");
    let ex = runner::Exceptions::load(&root.join("tests/conformance/exceptions.toml"))
        .expect("exceptions load");
    let mut out = Vec::new();
    let s = runner::run_all(&cases, &ex, None, false, &mut out);
    let report = String::from_utf8_lossy(&out);
    println!("{report}{}", s.line());
    assert_eq!(s.failed, 0, "conformance failures:\n{report}\n{}", s.line());
}

/// Our own cases in the same format (SEMANTICS.md §11's worked vectors): the runner works on any
/// file in the format, and these run even where `shared/` is absent.
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

/// Cases written for the second conformance round (SEMANTICS.md §12 #45–#49, FORMAT.md's
/// `serialize` kind and absence rules), each naming its source.
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
