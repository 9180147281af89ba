#!/usr/bin/env bash
# Install whatever is missing for this repository, offline-safe: Python packages from PyPI
# (pinned in requirements.lock), npm packages (pinned in package-lock.json), and the solc
# wrapper linked where brownie and py-solc-x look for compilers. Idempotent: when nothing
# changed it only checks two hashes and a symlink (well under a second).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "setup: Python 3.11 is required (brownie 1.22 and py-evm pins); found $("$PYTHON" --version)" >&2
  exit 1
}
command -v npm >/dev/null || { echo "setup: npm (Node.js 18+) is required for solcjs and anvil" >&2; exit 1; }

stamp() { cat "$@" | sha256sum | cut -c1-16; }

# Python environment
py_stamp=$(stamp requirements.lock pyproject.toml)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$py_stamp" ]; then
  echo "setup: installing the Python environment (.venv) from requirements.lock ..."
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  # pip 23 shows no progress while installing; count its "Collecting" lines instead (about a minute)
  total=$(grep -c '==' requirements.lock)
  .venv/bin/pip install --disable-pip-version-check --progress-bar off -r requirements.lock \
    2> >(grep -v "is ignored" >&2) |
    awk -v total="$total" '
      /^Collecting / { if (n < total) n++; printf "\rsetup: pip %3d/%d %-40s", n, total, $2; fflush() }
      /^Requirement already satisfied: / { if (n < total) n++; printf "\rsetup: pip %3d/%d %-40s", n, total, $4; fflush() }
      /^Installing collected packages/ { printf "\rsetup: pip installing %d packages ...%-30s", total, ""; fflush() }
      END { print "" }'

  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e . 2> >(grep -v "is ignored" >&2)
  echo "$py_stamp" > .venv/.setup-stamp
fi

# Slither (static analysis) in its own environment: its pins (crytic-compile, web3 7.x, ...) are not the
# project's (brownie 1.22 pins web3's dependencies), so it never shares .venv.
slither_stamp=$(stamp requirements-slither.lock)
if [ ! -x .venv-slither/bin/slither ] || [ "$(cat .venv-slither/.setup-stamp 2>/dev/null)" != "$slither_stamp" ]; then
  echo "setup: installing slither (.venv-slither) from requirements-slither.lock ..."
  [ -x .venv-slither/bin/python ] || "$PYTHON" -m venv .venv-slither
  .venv-slither/bin/pip install --quiet --disable-pip-version-check -r requirements-slither.lock
  echo "$slither_stamp" > .venv-slither/.setup-stamp
fi

# npm toolchain: solcjs, anvil, forge, OpenZeppelin
npm_stamp=$(stamp package-lock.json)
if [ ! -d node_modules ] || [ "$(cat node_modules/.setup-stamp 2>/dev/null)" != "$npm_stamp" ]; then
  echo "setup: installing solc (solcjs), anvil, forge and OpenZeppelin from package-lock.json ..."
  npm ci --no-audit --no-fund --loglevel=error 2> >(grep -v "nodedir" >&2)
  echo "$npm_stamp" > node_modules/.setup-stamp
fi

# The solc wrapper where py-solc-x and brownie look (~/.solcx/solc-v<version>).
solc_version=$(sed -n 's/^ *version: *\([0-9.]*\).*/\1/p' brownie-config.yaml | head -1)
solcx_dir=${SOLCX_BINARY_PATH:-$HOME/.solcx}
mkdir -p "$solcx_dir"
target="$solcx_dir/solc-v$solc_version"
if [ "$(readlink "$target" 2>/dev/null)" != "$ROOT/tools/solc.js" ]; then
  ln -sfn "$ROOT/tools/solc.js" "$target"
  echo "setup: linked $target -> tools/solc.js"
fi

# brownie's false "rpc.* should not be called directly" FutureWarning. brownie 1.22.2 emits it in
# brownie/network/rpc/__init__.py lines 41-46, the `internal` decorator of Rpc.sleep/mine/snapshot/revert:
#     if inspect.stack()[1].frame.f_locals.get("self", None) != chain: warnings.warn(..., FutureWarning)
# i.e. "the caller is not brownie's Chain object, so a user called rpc.snapshot instead of chain.snapshot".
# But Chain (brownie/network/state.py) is installed compiled by mypyc (state.cpython-311-*.so), and compiled
# functions push no Python frame: stack()[1] is whatever Python code called chain.*, never Chain itself. So
# every chain.snapshot/revert/sleep/mine warns: brownie's connect (rpc/__init__.py:88,
# chain._network_connected()), its pytest fixtures (brownie/test/fixtures.py:45-61, chain.reset/snapshot/
# revert), its post-transaction undo-buffer thread, and our tests' chain.sleep()/chain.mine(). All of them
# use chain.*, as the warning asks; nothing in this repository calls rpc.* (test_entry_points checks it).
# brownie-config.yaml has no warnings setting and `brownie run`/`console` are not pytest, so the one place
# every brownie command reads before it connects is this environment's site-packages: a .pth line ignores
# exactly that message, with the same method name on both sides, of that category; every other warning
# (and every other FutureWarning) still shows.
for site in .venv/lib/python3.*/site-packages; do
  pth="$site/brownie_compiled_rpc_guard.pth"
  line='import warnings; warnings.filterwarnings("ignore", message=r"rpc\.(\w+) should not be called directly, use chain\.\1 instead$", category=FutureWarning)'
  if [ "$(cat "$pth" 2>/dev/null)" != "$line" ]; then
    printf '%s\n' "$line" > "$pth"
  fi
done
