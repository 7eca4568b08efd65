#!/usr/bin/env bash
# Sets up what the tests need on a fresh Debian machine (system packages, a venv), then runs pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_scoring.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc libreoffice-writer)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
[ -d /usr/share/fonts/truetype/crosextra ] || need+=(fonts-crosextra-carlito)  # Calibri's metrics: prints as Excel does
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The multi-user tests run JupyterHub behind configurable-http-proxy (npm), installed here when missing:
# into this project's own node_modules/ (gitignored), never globally.
if ! command -v configurable-http-proxy >/dev/null 2>&1 && [ ! -x node_modules/.bin/configurable-http-proxy ] \
    && command -v npm >/dev/null 2>&1; then
  npm install --no-save --no-audit --no-fund --prefix "$PWD" configurable-http-proxy >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
# xlwings' remote engine (the add-in tests) runs under PolyForm Noncommercial, which permits use by
# government institutions; no Excel is needed.
export XLWINGS_LICENSE_KEY="${XLWINGS_LICENSE_KEY:-noncommercial}"
exec .venv/bin/python -m pytest "$@"
