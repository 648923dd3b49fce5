#!/usr/bin/env bash
# Offline validation of template.yaml:
#   1. cfn-lint: zero errors and zero warnings (informational findings are printed, not fatal);
#   2. sam validate --lint: the SAM transform accepts the template.
# Tools come from the project's venv: LATTICE_VENV (default $HOME/.cache/lattice-venv), with
#   python3 -m venv "$LATTICE_VENV" && "$LATTICE_VENV/bin/pip" install cfn-lint aws-sam-cli cargo-lambda
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LATTICE_VENV:-$HOME/.cache/lattice-venv}"
template="${1:-$root/template.yaml}"

for tool in cfn-lint sam; do
    if [[ ! -x "$venv/bin/$tool" ]]; then
        echo "validate-template: $venv/bin/$tool not found; install it with: $venv/bin/pip install cfn-lint aws-sam-cli" >&2
        exit 2
    fi
done

# Both tools are offline here; a Region is still required by the SAM translator.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export SAM_CLI_TELEMETRY=0

echo "== cfn-lint $("$venv/bin/cfn-lint" --version | awk '{print $2}') on $template"
# Lint for several Regions where VPC Lattice runs, so Region-specific schema gaps show up too.
"$venv/bin/cfn-lint" --non-zero-exit-code warning \
    --regions us-east-1 us-west-2 eu-west-1 ap-southeast-2 -- "$template"
echo "cfn-lint: 0 errors, 0 warnings"

echo "== sam validate --lint ($("$venv/bin/sam" --version))"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# sam prints the whole transformed template at INFO level; keep it for failures only.
if ! "$venv/bin/sam" validate --lint --template-file "$template" >"$log" 2>&1; then
    cat "$log" >&2
    echo "sam validate --lint failed" >&2
    exit 1
fi
grep -E "is a valid SAM Template" "$log"
