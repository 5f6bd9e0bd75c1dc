#!/usr/bin/env bash
# crmlab's two commands (see README.md):
#   bash dev.sh lab     set up .venv (first time only) and open JupyterLab on labs/
#   bash dev.sh test    set up .venv (first time only) and run the whole test suite
# Anything after `test` goes to pytest, e.g. `bash dev.sh test tests/unit -x`.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${CRMLAB_VENV:-.venv}"
PY="${PYTHON:-python3}"

setup() {
    if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "crmlab needs Python 3.11 or newer as '$PY' (set PYTHON=/path/to/python3.11)." >&2
        exit 1
    fi
    # Reinstall only when the dependency files change.
    local want have=""
    want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
    [ -f "$VENV/.crmlab-stamp" ] && have=$(cat "$VENV/.crmlab-stamp")
    if [ "$want" != "$have" ]; then
        echo "Setting up $VENV (first run takes a few minutes) ..."
        if [ ! -x "$VENV/bin/python" ]; then
            "$PY" -m venv "$VENV" || {
                echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2
                exit 1
            }
        fi
        "$VENV/bin/python" -m pip install --quiet --upgrade "pip>=24"
        "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e ".[dev]"
        echo "$want" > "$VENV/.crmlab-stamp"
    fi
    export PATH="$PWD/$VENV/bin:$PATH"
    export PYDEVD_DISABLE_FILE_VALIDATION=1
}

services() {
    # Local services some tests use (PostgreSQL for the simulated CRM, Chromium for the mobile page,
    # bubblewrap for the grading sandbox); PostgreSQL is stopped when the tests end.
    # shellcheck source=.ci/services
    . .ci/services
    pg_start
    trap pg_stop EXIT
    browser_setup
    sandbox_setup
    # On CI every database, browser and sandbox test must run: a missing server, browser or bubblewrap
    # fails them instead of skipping them.
    if [ "${CI:-}" = "true" ]; then export CRMLAB_REQUIRE_PG=1 CRMLAB_REQUIRE_BROWSER=1 CRMLAB_REQUIRE_SANDBOX=1; fi
}

case "${1:-}" in
    lab)
        shift
        setup
        extra=()
        # JupyterLab refuses to start as root (containers, some lab machines) unless told to.
        [ "$(id -u)" = 0 ] && extra+=(--allow-root)
        exec jupyter lab --ServerApp.root_dir="$PWD/labs" "${extra[@]}" "$@"
        ;;
    test)
        shift
        setup
        services
        python -m pytest "$@"
        ;;
    *)
        echo "usage: bash dev.sh lab | test [pytest arguments]" >&2
        exit 2
        ;;
esac
