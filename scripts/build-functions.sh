#!/usr/bin/env bash
# Builds both Lambda functions the two ways the project deploys them, and checks the artefacts:
#   1. `sam build` (template.yaml, BuildMethod rust-cargolambda) -> .aws-sam/build/<Function>/bootstrap
#   2. `cargo lambda build --release --arm64`                    -> <target dir>/lambda/<binary>/bootstrap
#   3. `cargo lambda deploy --dry` with functions/<binary>/CargoLambda.toml packages each function
#      offline, with the memory and timeout template.yaml gives it.
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

# cargo-lambda writes to <cargo target dir>/lambda/<binary>/bootstrap; CARGO_TARGET_DIR may move it.
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

echo "== sam build"
timed "sam build" sam build --template-file template.yaml --build-dir .aws-sam/build

# One package per invocation, as sam does (it runs cargo in each function's CodeUri, the package
# directory): each binary keeps only its own crate features. Without `-p`, cargo selects every
# workspace member and unifies lattice-lambda's features, which made `provider` carry the
# client's code (3.55 MB instead of 2.78 MB on arm64).
for entry in "${functions[@]}"; do
    binary="${entry#*:}"
    echo "== cargo lambda build --release --arm64 -p $binary --bin $binary"
    timed "cargo lambda build $binary" cargo lambda build --release --arm64 -p "$binary" --bin "$binary"
done

echo "== bootstrap checks"
for entry in "${functions[@]}"; do
    logical_id="${entry%%:*}"
    binary="${entry#*:}"
    check_arm64_bootstrap "$root/.aws-sam/build/$logical_id/bootstrap"
    check_arm64_bootstrap "$target_dir/lambda/$binary/bootstrap"
done

# The cargo-lambda deploy path: package without deploying, then compare with template.yaml.
export AWS_EC2_METADATA_DISABLED=true
for entry in "${functions[@]}"; do
    logical_id="${entry%%:*}"
    binary="${entry#*:}"
    echo "== cargo lambda deploy --dry --global functions/$binary/CargoLambda.toml"
    dry="$(cargo lambda deploy --dry --output-format json --global "functions/$binary/CargoLambda.toml")"
    LOGICAL_ID="$logical_id" DRY="$dry" "$venv/bin/python" - <<'PY'
import json, os, sys
from samtranslator.yaml_helper import yaml_parse

logical_id, raw = os.environ["LOGICAL_ID"], os.environ["DRY"]
# cargo-lambda prints a progress line on stdout before the JSON document.
dry = json.loads(raw[raw.index("{"):])
with open("template.yaml") as f:
    props = yaml_parse(f.read())["Resources"][logical_id]["Properties"]
wanted = {"arch": "arm64", "memory": props["MemorySize"], "timeout": props["Timeout"], "runtime": props["Runtime"]}
actual = {"arch": dry["arch"], "memory": dry["config"].get("memory"), "timeout": dry["config"].get("timeout"),
          "runtime": dry["config"].get("runtime")}
if actual != wanted or not os.path.isfile(dry["path"]):
    sys.exit(f"build-functions: cargo lambda deploy --dry for {logical_id}: {actual} (zip {dry['path']}), template.yaml says {wanted}")
print(f"  ok  {os.path.relpath(dry['path'])}  {actual}")
PY
done
echo "build-functions: all bootstraps present (arm64), both functions package for cargo lambda deploy"
