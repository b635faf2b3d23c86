//! The C examples (ffi/examples/*.c), compiled with the system C compiler against the release
//! static library (no_std, built here into its own target folder) with
//! `-Wall -Wextra -Werror -std=c11`, run, and their output checked: the trace id of
//! benches/inputs/default.txt continues into the injected headers.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The release static library, built once into `target/ffi-c` (a folder of its own, so this
/// does not wait for the lock of the build that runs the tests).
fn static_lib() -> PathBuf {
    let target = root().join("target/ffi-c");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "tracewire-ffi",
            "--target-dir",
        ])
        .arg(&target)
        .current_dir(root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the release library builds");
    target.join("release/libtracewire_ffi.a")
}

fn compile(lib: &Path, example: &str) -> PathBuf {
    let out = root().join(format!("target/ffi-c/{example}"));
    let c = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-Wall", "-Wextra", "-Werror", "-std=c11", "-I"])
        .arg(root().join("ffi/include"))
        .arg(root().join(format!("ffi/examples/{example}.c")))
        .arg(lib)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("a C compiler (cc) runs");
    assert!(
        c.status.success(),
        "{example}.c compiles: {}",
        String::from_utf8_lossy(&c.stderr)
    );
    out
}

fn run(exe: &Path, args: &[&Path]) -> String {
    let r = Command::new(exe).args(args).output().expect("example runs");
    assert!(
        r.status.success(),
        "{}: {}",
        exe.display(),
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8(r.stdout).expect("text")
}

#[test]
fn c_examples_compile_run_and_continue_the_trace() {
    let lib = static_lib();
    let firmware = compile(&lib, "firmware");
    let out = run(&firmware, &[&root().join("benches/inputs/default.txt")]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "trace 4bf92f3577b34da6a3ce929d0e0e4736 parent 00f067aa0ba902b7 priority 2",
        "{out}"
    );
    assert!(
        lines.contains(&"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00000000000002a1-01"),
        "{out}"
    );
    assert!(
        lines.contains(&"x-datadog-trace-id: 11803532876627986230"),
        "{out}"
    );
    assert!(lines.contains(&"x-datadog-parent-id: 673"), "{out}");

    let proxy = compile(&lib, "proxy");
    assert_eq!(
        run(&proxy, &[]),
        "origin rum\n\
         b3 style: 0 (not configured = 0)\n\
         traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01\n\
         tracestate: dd=s:2;o:rum;p:000000000000002a,congo=t61rcWkgMzE\n\
         baggage: user.id=amy\n\
         3 headers\n"
    );
}
