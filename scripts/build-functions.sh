#!/usr/bin/env bash
# Builds both Lambda functions the two ways the project deploys them, and checks the artefacts:
#   1. `sam build` (template.yaml, BuildMethod rust-cargolambda) -> .aws-sam/build/<Function>/bootstrap
#   2. `cargo lambda build --release --arm64`                    -> target/lambda/<binary>/bootstrap
# Each bootstrap must exist and be an arm64 (aarch64) ELF executable, as template.yaml declares.
# Tools come from the project's venv: LATTICE_VENV (default $HOME/.cache/lattice-venv). cargo-lambda
# must live in the same venv as SAM so that its bundled zig is found.
# Takes a few minutes from cold (two release builds with LTO).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LATTICE_VENV:-$HOME/.cache/lattice-venv}"
cd "$root"

for tool in sam cargo-lambda; do
    if [[ ! -x "$venv/bin/$tool" ]]; then
        echo "build-functions: $venv/bin/$tool not found; install it with: $venv/bin/pip install aws-sam-cli cargo-lambda" >&2
        exit 2
    fi
done
export PATH="$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

# "<template logical id>:<cargo binary>" for every function in template.yaml.
functions=("ProviderFunction:provider" "EksClientFunction:eks-client")

# Fails unless $1 is an aarch64 ELF file: ELF magic, then e_machine (offset 18, little endian) = 183.
check_arm64_bootstrap() {
    local path="$1"
    if [[ ! -f "$path" ]]; then
        echo "build-functions: missing $path" >&2
        return 1
    fi
    local magic machine
    magic="$(od -An -tx1 -N4 "$path" | tr -d ' \n')"
    machine="$(od -An -tu2 -j18 -N2 "$path" | tr -d ' \n')"
    if [[ "$magic" != "7f454c46" || "$machine" != "183" ]]; then
        echo "build-functions: $path is not an aarch64 ELF executable (magic $magic, e_machine $machine)" >&2
        return 1
    fi
    printf '  ok  %-45s %8d bytes\n' "${path#"$root"/}" "$(stat -c %s "$path")"
}

timed() {
    local label="$1"
    shift
    local start=$SECONDS
    "$@"
    echo "== $label: $((SECONDS - start)) s"
}

echo "== sam build"
timed "sam build" sam build --template-file template.yaml --build-dir .aws-sam/build

# One binary per invocation, as sam does: cargo then reuses sam's artefacts, and each binary keeps
# only its own crate features (building both at once would unify lattice-lambda's features).
for entry in "${functions[@]}"; do
    binary="${entry#*:}"
    echo "== cargo lambda build --release --arm64 --bin $binary"
    timed "cargo lambda build $binary" cargo lambda build --release --arm64 --bin "$binary"
done

echo "== bootstrap checks"
for entry in "${functions[@]}"; do
    logical_id="${entry%%:*}"
    binary="${entry#*:}"
    check_arm64_bootstrap "$root/.aws-sam/build/$logical_id/bootstrap"
    check_arm64_bootstrap "$root/target/lambda/$binary/bootstrap"
done
echo "build-functions: all bootstraps present (arm64)"
