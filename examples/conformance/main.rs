//! The conformance runner: `cargo run --release --example conformance [-- FILE...]`.
//!
//! Reads case files in the format described in `tests/conformance/FORMAT.md` (by default the
//! repository's `tests/conformance/vectors.json`), runs every case against tracewire, prints
//! `FAIL <id>: <check> — expected …, got …` for each failing case and, last,
//! `N passed, M failed, K skipped`. Exit status 0 when nothing failed.
//!
//! Options: `--exceptions PATH` (default `tests/conformance/exceptions.toml`), `--only FEATURE`,
//! `--verbose` (every failing check, and the listed exceptions as `XFAIL` lines).

mod engine;
mod runner;
mod tracewire_subject;

use std::path::PathBuf;

fn main() {
    let mut files = Vec::new();
    let mut exceptions =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/exceptions.toml");
    let mut only = None;
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--exceptions" => exceptions = PathBuf::from(args.next().unwrap_or_default()),
            "--only" => only = args.next(),
            "--verbose" | "-v" => verbose = true,
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files
        .iter()
        .any(|f| f.as_os_str() == "--help" || f.as_os_str() == "-h")
    {
        println!("usage: conformance [FILE...] [--exceptions PATH] [--only FEATURE] [--verbose]");
        println!("FILE defaults to tests/conformance/vectors.json");
        return;
    }
    if files.is_empty() {
        files
            .push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/vectors.json"));
    }
    let ex = runner::Exceptions::load(&exceptions).unwrap_or_else(|e| {
        eprintln!("conformance: {e}");
        std::process::exit(2)
    });
    let mut total = runner::Summary::default();
    let mut stdout = std::io::stdout();
    for f in &files {
        let cases = runner::load(f).unwrap_or_else(|e| {
            eprintln!("conformance: {e}");
            std::process::exit(2)
        });
        let s = runner::run_all(&cases, &ex, only.as_deref(), verbose, &mut stdout);
        if files.len() > 1 {
            println!("{}: {}", f.display(), s.line());
        }
        total.passed += s.passed;
        total.failed += s.failed;
        total.skipped_scope += s.skipped_scope;
        total.listed += s.listed;
    }
    println!(
        "skipped: {} out of scope, {} listed exceptions ({})",
        total.skipped_scope,
        total.listed,
        exceptions.display()
    );
    println!("{}", total.line());
    std::process::exit(if total.failed == 0 { 0 } else { 1 });
}
