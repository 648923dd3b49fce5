#!/usr/bin/env bash
# The project's test command: installs the test tools (idempotent), then runs every test.
#   scripts/test.sh            # all tests
#   scripts/test.sh -p provider  # extra args go to `cargo test`
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-dev.sh"
export LATTICE_VENV="${LATTICE_VENV:-$HOME/.cache/lattice-venv}"
export LATTICE_PYTHON="${LATTICE_PYTHON:-$LATTICE_VENV/bin/python}"
export PATH="$LATTICE_VENV/bin:$PATH"
cd "$root"
if [ "$#" -eq 0 ]; then
  set -- --workspace
fi
exec cargo test "$@"
