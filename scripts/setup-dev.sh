#!/usr/bin/env bash
# Installs what the tests and scripts need, idempotently:
#   - a Python venv ($LATTICE_VENV, default ~/.cache/lattice-venv) with cargo-lambda (and zig),
#     cfn-lint, aws-sam-cli, botocore and awscrt (independent SigV4/SigV4A implementations),
#     and Selenium (the inspector's browser test; the browser itself is Debian's `chromium` and
#     `chromium-driver`, which .ci/run installs with apt-get);
#   - the aarch64 Rust target, for `cargo lambda build --arm64`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${LATTICE_VENV:-$HOME/.cache/lattice-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/requirements-dev.txt" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ]; then
  echo "setup-dev: creating venv $venv"
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup-dev: installing $(grep -cv '^#' "$root/requirements-dev.txt") tool packages into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/requirements-dev.txt"
  echo "$want" > "$stamp"
fi
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "setup-dev: adding Rust target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi
