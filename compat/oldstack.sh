#!/usr/bin/env bash
# The oldest supported stack: a virtualenv holding Google Colab's pinned Jupyter set (IPython 7.34,
# ipykernel 6.17, ipywidgets 7.7, anywidget 0.9, classic Notebook 6.5 ...), then the test tools that
# fit it. Built once and cached outside the clone, keyed by the pin set; prints the venv's path.
#
#   compat/oldstack.sh            build if needed, print the path
#
# It also records `pip freeze` of the bare Colab set (colab-set.txt) and a download of its wheels
# (wheels/), which the install test uses to build a fresh Colab-set venv without the network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pins="$here/colab-freeze-2026-08-19.txt"
reqs="$here/oldstack-requirements.txt"
test_reqs="$here/oldstack-test-requirements.txt"
key=$(cat "$pins" "$reqs" "$test_reqs" "$0" | cksum | cut -d' ' -f1)
dir="${NBSTREAM_CACHE:-$HOME/.cache/nbstream}/oldstack-$key"
if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
fi
{
    rm -rf "$dir"
    python3 -m venv "$dir"
    pip=("$dir/bin/python" -m pip --quiet)
    "${pip[@]}" install -c "$pins" -r "$reqs"
    "${pip[@]}" freeze --all > "$dir/colab-set.txt"
    # Wheels of the Colab set and of nbstream's other dependencies (the SDK), for the install test.
    "${pip[@]}" download -c "$pins" -d "$dir/wheels" -r "$reqs" "anthropic>=2.10,<3" hatchling
    "${pip[@]}" install -c "$pins" -r "$test_reqs" "anthropic>=2.10,<3"
    touch "$dir/.complete"
} >&2
echo "$dir"
