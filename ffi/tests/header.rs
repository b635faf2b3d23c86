//! The committed C header is what cbindgen generates from the crate now: a stale header fails
//! this test (`TRACEWIRE_BLESS=1 cargo test -p tracewire-ffi --test header` rewrites it).

use std::path::PathBuf;

#[test]
fn committed_header_matches_cbindgen() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = dir.join("include/tracewire.h");
    if std::env::var_os("TRACEWIRE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/include/tracewire.h is stale: run TRACEWIRE_BLESS=1 cargo test -p tracewire-ffi --test header"
    );
}
