#!/usr/bin/env bash
# Run a benchmark script against a committed revision of src/, not the work tree.
#
#   bash bench/run_on_commit.sh REV bench/bench_compat.py [ARGS...]
#
# The work tree may hold other people's unfinished changes under src/; this exports REV's src/
# (git archive, nothing in the work tree or the index is touched) into a temporary folder, puts
# it first on PYTHONPATH (ahead of the editable install) and runs the script with the venv's
# Python. The scripts print where evreg was imported from and which commit that is.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: bash bench/run_on_commit.sh REV bench/SCRIPT.py [ARGS...]" >&2
    exit 2
fi
rev=$1
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d "${TMPDIR:-/tmp}/evreg-bench.XXXXXX")
trap 'rm -rf "$tree"' EXIT
git -C "$repo" archive "$rev" src | tar -x -C "$tree"
git -C "$repo" log -1 --format='%h %cs' "$rev" >"$tree/COMMIT"
PYTHONPATH="$tree/src" "$repo/.venv/bin/python" "$@"
