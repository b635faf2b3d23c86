#!/usr/bin/env bash
# Usage: bash .ci/differential/run.sh [REV [SETS]]
# Runs SETS random header sets (default 1,000,000) through tracewire at REV (default 3989e13,
# the commit before the fourth lean-core round) and at the working tree, and fails on the first
# difference. REV must have the entry points the program calls (3989e13 or later).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rev="${1:-3989e13}"
sets="${2:-1000000}"
old="$here/../../target/differential-old"
mkdir -p "$here/../../target"
git -C "$here/../.." worktree remove --force "$old" 2>/dev/null || rm -rf "$old"
git -C "$here/../.." worktree add --detach "$old" "$rev" >/dev/null
trap 'git -C "$here/../.." worktree remove --force "$old" >/dev/null 2>&1 || true' EXIT
# Two packages named tracewire at one version cannot share a lockfile: rename the old one's.
sed -i '0,/^version = ".*"/s//version = "0.0.99"/' "$old/Cargo.toml"
(cd "$here" && cargo run -q --release --target-dir "$here/target" -- "$sets")
