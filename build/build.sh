#!/usr/bin/env bash
# One command from a clean clone: dist/relay (PyInstaller one-file binary) and dist/relay.pyz.
#   ./build/build.sh                      both
#   RELAY_BUILD_EXTRA="mcp>=2.3,<3" ./build/build.sh   add packages to the binary's build env
# The build runs in its own venv (cached under ~/.cache/relay-ci, keyed on the requirements), so
# whatever else the machine has installed never lands in the binary. The sources are staged into
# build/out/src with a generated relay/_build.py holding the commit; the checkout is not touched.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
DIST="${RELAY_DIST:-$ROOT/dist}"
CACHE="${RELAY_CI_CACHE:-$HOME/.cache/relay-ci}"
WORK="$ROOT/build/out"
PYINSTALLER="$(grep -i '^pyinstaller' requirements-dev.txt)"

key="$( { cat requirements.txt; echo "$PYINSTALLER ${RELAY_BUILD_EXTRA:-}"; "$PY" -V; } | sha256sum | cut -c1-16)"
VENV="$CACHE/build-venv-$key"
mkdir -p "$CACHE"
exec 9>"$CACHE/build-venv.lock"
flock 9   # parallel builds (other checkouts, parallel test runs) share the venv
if [ ! -f "$VENV/.complete" ]; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  # shellcheck disable=SC2086  # RELAY_BUILD_EXTRA is a list of requirement specifiers
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt "$PYINSTALLER" ${RELAY_BUILD_EXTRA:-}
  touch "$VENV/.complete"
fi

commit="${RELAY_COMMIT:-$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
if [ -z "${RELAY_COMMIT:-}" ] && [ "$commit" != unknown ] && [ -n "$(git -C "$ROOT" status --porcelain -- relay relay.py templates static 2>/dev/null)" ]; then
  commit="$commit+dirty"
fi
rm -rf "$WORK/src"
mkdir -p "$WORK/src" "$DIST"
cp -r relay relay.py templates static "$WORK/src/"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
printf '"""Written by build/build.sh; not in git."""\nCOMMIT = "%s"\n' "$commit" > "$WORK/src/relay/_build.py"

RELAY_STAGE="$WORK/src" "$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$WORK/pyinstaller" build/relay.spec
"$VENV/bin/python" build/zipapp_build.py "$WORK/src" "$DIST/relay.pyz"
echo "built $DIST/relay ($(du -h "$DIST/relay" | cut -f1)) and $DIST/relay.pyz ($(du -h "$DIST/relay.pyz" | cut -f1)), commit $commit"
