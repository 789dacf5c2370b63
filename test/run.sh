#!/usr/bin/env bash
# The one test command (`npm test`). On a fresh Debian 12 machine, as root, it installs what the
# tests need, builds, starts dockerd if none answers, pre-builds the shared base images and then
# runs every test with Node's runner. It stops only what it started itself.
#
#   bash test/run.sh                   # everything
#   bash test/run.sh test/modules ...  # only the tests under these source folders/files
#
# Environment: CI=true turns every "service missing" skip into a failure (.ci/run sets it);
# TSPLAY_TEST_CACHE moves the image/sdist cache (default /var/cache/tsplay-test, outside the repo).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
seconds_since() { echo $(( $(date +%s) - $1 )); }

SUITE_START=$(date +%s)
STARTED_DOCKERD_PID=""
DOCKERD_LOG=""
export TSPLAY_TEST_RUN_ID="run-$$-$(date +%s)"
export TSPLAY_TEST_CACHE="${TSPLAY_TEST_CACHE:-/var/cache/tsplay-test}"

docker_answers() {
  [ -S /var/run/docker.sock ] &&
    curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if docker_answers; then
    local leftovers
    leftovers=$(docker ps -aq --filter "label=tsplay-test.run=$TSPLAY_TEST_RUN_ID" 2>/dev/null)
    if [ -n "$leftovers" ]; then
      step "removing containers this run left behind"
      # shellcheck disable=SC2086
      docker rm -f $leftovers >/dev/null 2>&1 || true
    fi
  fi
  if [ -n "$STARTED_DOCKERD_PID" ] && kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null; then
    step "stopping the dockerd this run started (pid $STARTED_DOCKERD_PID)"
    kill -TERM "$STARTED_DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null; then
      note "dockerd did not stop in 15 s; killing it"
      kill -KILL "$STARTED_DOCKERD_PID" 2>/dev/null
    fi
    rm -f "$DOCKERD_LOG"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. System packages ------------------------------------------------------------------------
PACKAGES=(docker.io openssh-server ansible python3-docker debootstrap python3-pip python3-venv
  python3-setuptools python3-pip-whl python3-setuptools-whl python3-wheel-whl sudo curl)
step "checking system packages"
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    note "missing ${missing[*]} and not root: tests needing them will skip (or fail under CI)"
  else
    note "installing ${missing[*]}"
    # Never let a package start its service (docker.io would start dockerd WITH the default bridge).
    own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/tmp/tsplay-apt.$$.log 2>&1
    apt_rc=$?
    [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
    if [ "$apt_rc" -ne 0 ]; then
      tail -20 /tmp/tsplay-apt.$$.log
      note "apt-get failed (full log /tmp/tsplay-apt.$$.log)"
      exit 1
    fi
    rm -f /tmp/tsplay-apt.$$.log
  fi
else
  note "all present"
fi

# --- 2. Node dependencies and build ------------------------------------------------------------
step "checking Node.js (20 or newer)"
# shellcheck source=../scripts/env/node.sh
source "$REPO/scripts/env/node.sh"
tsplay_require_node || exit 1
note "node $(node --version)"
if [ ! -d node_modules ]; then
  step "installing node dependencies (npm ci)"
  npm ci --no-audit --no-fund || exit 1
fi
step "building (tsc -p tsconfig.json)"
build_rc=0
npx tsc -p tsconfig.json >/tmp/tsplay-tsc.$$.log 2>&1 || build_rc=$?
if [ "$build_rc" -ne 0 ]; then
  note "type errors (JavaScript was still emitted; the suite runs, but the command will fail):"
  sed 's/^/    /' /tmp/tsplay-tsc.$$.log | head -40
fi
rm -f /tmp/tsplay-tsc.$$.log
step "bundling (scripts/bundle.mjs: dist/bundle/tsplay.cjs and its code cache)"
node scripts/bundle.mjs || build_rc=1
if [ ! -f dist/test/support/prepare.js ]; then
  note "dist/test/support/prepare.js was not produced; cannot go on"
  exit 1
fi

# --- 3. Docker daemon --------------------------------------------------------------------------
step "checking dockerd"
if docker_answers; then
  note "already running; leaving it as it is"
elif [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null; then
  note "not running and cannot start it here: docker tests will skip (or fail under CI)"
else
  DOCKERD_LOG=$(mktemp /tmp/tsplay-dockerd.XXXXXX.log)
  # No default bridge: containers use the host network and no private-range address appears.
  dockerd --bridge=none --iptables=false --ip-masq=false >"$DOCKERD_LOG" 2>&1 &
  STARTED_DOCKERD_PID=$!
  for _ in $(seq 1 120); do
    docker_answers && break
    kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break
    sleep 0.5
  done
  if docker_answers && docker info >/dev/null 2>&1; then
    note "started dockerd (pid $STARTED_DOCKERD_PID, log $DOCKERD_LOG)"
  else
    note "dockerd did not come up; its log:"
    tail -20 "$DOCKERD_LOG" | sed 's/^/    /'
    [ "${CI:-}" = "true" ] && exit 1
  fi
fi

# --- 4. Shared test artefacts ------------------------------------------------------------------
step "preparing base images and the fixture index (cache $TSPLAY_TEST_CACHE)"
prep_start=$(date +%s)
targets=(index)
if docker_answers && [ "$(id -u)" -eq 0 ]; then targets=(bookworm second index); fi
if ! node dist/test/support/prepare.js "${targets[@]}"; then
  [ "${CI:-}" = "true" ] && { note "cannot prepare the test services under CI"; exit 1; }
  note "continuing: tests needing these will skip"
fi
note "infrastructure ready after $(seconds_since "$SUITE_START") s (preparing took $(seconds_since "$prep_start") s)"

# --- 5. Tests ----------------------------------------------------------------------------------
# Run the compiled form of every test/**/*.test.ts that exists now (a stale dist/ file whose
# source was removed is not run).
selection=("$@")
[ "${#selection[@]}" -eq 0 ] && selection=(test)
files=()
while IFS= read -r src; do
  js="dist/${src%.ts}.js"
  if [ -f "$js" ]; then files+=("$js"); else note "no compiled file for $src"; build_rc=1; fi
done < <(for s in "${selection[@]}"; do
  s=${s#./}; s=${s#dist/}; s=${s%.js}; s=${s%.ts}
  if [ -d "$s" ]; then find "$s" -name '*.test.ts' -type f; elif [ -f "$s.ts" ]; then echo "$s.ts"; else echo "no test source at $s" >&2; fi
done | sort -u)
if [ "${#files[@]}" -eq 0 ]; then
  note "no test files selected"
  exit 1
fi
step "running ${#files[@]} test files (node --test --test-concurrency=2, CI=${CI:-false})"
test_start=$(date +%s)
SUMMARY=$(mktemp /tmp/tsplay-summary.XXXXXX)
# Tests get a temp directory of their own: whatever a test leaves there is named and removed below.
SUITE_TMP=$(mktemp -d /tmp/tsplay-suite.XXXXXX)
chmod 1777 "$SUITE_TMP"   # like /tmp: tests write there as other users (become) too
TMPDIR="$SUITE_TMP" node --test --test-concurrency=2 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./dist/test/support/summary-reporter.js --test-reporter-destination="$SUMMARY" \
  "${files[@]}"
test_rc=$?
leftovers=$(find "$SUITE_TMP" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort)
if [ -n "$leftovers" ]; then
  note "tests left these in their temp directory (removed now): $(echo "$leftovers" | tr '\n' ' ')"
fi
rm -rf "$SUITE_TMP"
note "tests finished in $(seconds_since "$test_start") s with exit code $test_rc"
cat "$SUMMARY"
rm -f "$SUMMARY"

if [ "$test_rc" -eq 0 ] && [ "$build_rc" -ne 0 ]; then
  step "tests passed, but the build had type errors: failing"
  exit 1
fi
exit "$test_rc"
