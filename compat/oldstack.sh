#!/usr/bin/env bash
# An older stack nbstream supports, in its own virtualenv, built once and cached outside the clone
# (keyed by its pin set); prints the venv's path.
#
#   compat/oldstack.sh [colab]     Google Colab's pinned Jupyter set (IPython 7.34, ipykernel 6.17,
#                                  ipywidgets 7.7, anywidget 0.9, classic Notebook 6.5 ...): the oldest
#   compat/oldstack.sh ipykernel73 ipykernel 7.3 with the newest widget stack
#
# Then the test tools that fit (installed under the same constraints: they may not change the set).
# For colab it also records `pip freeze` of the bare set (colab-set.txt) and keeps its wheels (wheels/),
# which the install test uses to build a fresh Colab-set venv without the network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stack=${1:-colab}
case "$stack" in
    colab) pins="$here/colab-freeze-2026-08-19.txt"; reqs="$here/oldstack-requirements.txt" ;;
    ipykernel73) pins="$here/ipykernel73-pins.txt"; reqs="$here/ipykernel73-requirements.txt" ;;
    *) echo "unknown stack: $stack (colab or ipykernel73)" >&2; exit 2 ;;
esac
test_reqs="$here/oldstack-test-requirements.txt"
key=$(cat "$pins" "$reqs" "$test_reqs" "$0" | cksum | cut -d' ' -f1)
dir="${NBSTREAM_CACHE:-$HOME/.cache/nbstream}/$stack-$key"
if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
fi
{
    rm -rf "$dir"
    python3 -m venv "$dir"
    pip=("$dir/bin/python" -m pip --quiet)
    "${pip[@]}" install -c "$pins" -r "$reqs"
    if [ "$stack" = colab ]; then
        "${pip[@]}" freeze --all > "$dir/colab-set.txt"
        # Wheels of the Colab set and of nbstream's other dependencies (the SDK, cmarkgfm), for the install test.
        "${pip[@]}" download -c "$pins" -d "$dir/wheels" -r "$reqs" "anthropic[aiohttp]>=2.10,<3" cmarkgfm hatchling
    fi
    # nbstream's dependencies that Colab does not ship, at the floors pyproject.toml names (cmarkgfm: its
    # first release with wheels for Python 3.11), so the floors are what these legs test.
    "${pip[@]}" install -c "$pins" -r "$test_reqs" "anthropic[aiohttp]>=2.10,<3" "cmarkgfm==2022.10.27"
    touch "$dir/.complete"
} >&2
echo "$dir"
