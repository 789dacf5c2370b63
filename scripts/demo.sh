#!/usr/bin/env bash
# The whole main job on a fresh Debian machine with no PyPI, as root:
#   1. installs what it needs from the Debian archive and starts a bridgeless Docker daemon,
#   2. builds two local base images (Debian 12 and Debian 13) with debootstrap (cached),
#   3. serves a small upstream index of fixture packages on 127.0.0.1,
#   4. runs `tsplay run playbooks/site.yaml --tags pip` with playbooks/demo/vars.yaml,
#   5. serves the mirror and installs a package from it in a clean container with the network off,
#   6. prints what it did and where the mirror is.
# Environment: DEMO_DIR (default /var/tmp/tsplay-demo) holds the mirror and the upstream;
# TSPLAY_TEST_CACHE (default /var/cache/tsplay-test) caches the base images between runs.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
DEMO_DIR=${DEMO_DIR:-/var/tmp/tsplay-demo}
MIRROR_BASE=$DEMO_DIR/mirror
PIDS=()
started_at=$(date +%s)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - started_at ))s"; }
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then echo "demo.sh must run as root (it installs packages and runs Docker)" >&2; exit 1; fi
cd "$REPO"

step "1/6 Packages from the Debian archive and a Docker daemon"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
ls /usr/share/python-wheels/setuptools-*.whl >/dev/null 2>&1 || need+=(python3-setuptools-whl)
ls /usr/share/python-wheels/wheel-*.whl >/dev/null 2>&1 || need+=(python3-wheel-whl)
python3 -c 'import docker' 2>/dev/null || need+=(python3-docker)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "all present"
fi
bash scripts/env/dockerd.sh start

step "2/6 tsplay itself"
# shellcheck source=env/node.sh
source "$REPO/scripts/env/node.sh"
tsplay_require_node || exit 1
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
if [ ! -f dist/bundle/tsplay.cjs ] || [ ! -f dist/src/argspec/meta-validator.js ] || [ ! -f dist/src/mirror/fixture-main.js ] || [ ! -f dist/test/support/services.js ]; then
  npx tsc -p tsconfig.json || true   # emits JS even when another part has type errors
  node scripts/bundle.mjs
fi
node dist/src/cli/tsplay.cjs --version

step "3/6 Base images (debootstrap once, then cached in ${TSPLAY_TEST_CACHE:-/var/cache/tsplay-test})"
images=$(node --input-type=module -e "
  const { baseImage } = await import('$REPO/dist/test/support/services.js');
  const first = await baseImage('bookworm');
  const second = await baseImage('second');
  console.log(first + ' ' + second);
")
read -r IMAGE_1 IMAGE_2 <<<"$images"
echo "platform images: $IMAGE_1 and $IMAGE_2"

step "4/6 A fixture upstream index on 127.0.0.1 (PyPI is not reachable)"
rm -rf "$DEMO_DIR/upstream-index"
mkdir -p "$DEMO_DIR"
node dist/src/mirror/fixture-main.js "$DEMO_DIR/upstream-index" >"$DEMO_DIR/upstream.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -f "$DEMO_DIR/upstream-index/url" ] && break; sleep 0.2; done
UPSTREAM=$(cat "$DEMO_DIR/upstream-index/url")
cat "$DEMO_DIR/upstream.log"

step "5/6 tsplay run playbooks/site.yaml --tags pip"
platforms=$(printf '[{"image":"%s","name":"debian-12","pre-command":"export SOURCE_DATE_EPOCH=1700000000"},{"image":"%s","name":"debian-13","pre-command":"export SOURCE_DATE_EPOCH=1700000000"}]' "$IMAGE_1" "$IMAGE_2")
# The shipped roles live in roles/ at the top of the repository. The play runs on the implicit
# localhost on purpose, so Ansible's two warnings about having no inventory are switched off.
ANSIBLE_ROLES_PATH="$REPO/roles${ANSIBLE_ROLES_PATH:+:$ANSIBLE_ROLES_PATH}" \
ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
node dist/src/cli/tsplay.cjs run playbooks/site.yaml --tags pip \
  -e @playbooks/demo/vars.yaml \
  -e "mirror_base_path=$MIRROR_BASE" \
  -e "upstream_index_url=$UPSTREAM" \
  -e "{\"mirror_platforms\": $platforms}"

step "6/6 Serve the mirror, then install from it with the network off"
kill "${PIDS[0]}" 2>/dev/null || true   # the upstream is no longer needed
node dist/src/cli/tsplay.cjs serve-mirror "$MIRROR_BASE/pip" --port 0 >"$DEMO_DIR/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q 'http://' "$DEMO_DIR/serve.log" 2>/dev/null && break; sleep 0.2; done
MIRROR_URL=$(grep -o 'http://[^ ]*' "$DEMO_DIR/serve.log" | head -n 1)
echo "mirror served at $MIRROR_URL"
echo "--- PEP 691 JSON for hello-world on debian-12 (Accept: application/vnd.pypi.simple.v1+json):"
curl -fsS -H 'Accept: application/vnd.pypi.simple.v1+json' "${MIRROR_URL}debian-12/simple/hello-world/"
echo "--- pip in a clean $IMAGE_1 container, network host, from $MIRROR_URL:"
docker run --rm --network host "$IMAGE_1" bash -c \
  "pip install --isolated --disable-pip-version-check --no-cache-dir --index-url ${MIRROR_URL}debian-12/simple/ --target /tmp/site Hello_World >/tmp/log 2>&1 || { cat /tmp/log; exit 1; }; grep -E '^Successfully installed' /tmp/log"
for platform in debian-12:$IMAGE_1 debian-13:$IMAGE_2; do
  name=${platform%%:*}; image=${platform#*:}
  echo "--- pip in a clean $image container with --network none, from file:///mnt/simple/ ($MIRROR_BASE/pip/$name):"
  docker run --rm --network none -v "$MIRROR_BASE/pip/$name:/mnt:ro" "$image" bash -c \
    "pip install --isolated --disable-pip-version-check --no-cache-dir --index-url file:///mnt/simple/ --target /tmp/site Hello_World 'zope.thing>=1.0,<3' 'plain_pkg == 0.1' >/tmp/log 2>&1 || { cat /tmp/log; exit 1; }
     grep -E '^Successfully installed' /tmp/log
     PYTHONPATH=/tmp/site python3 -c 'import hello_world, sys; print(\"python\", sys.version.split()[0], \"imports hello_world:\", hello_world.GREETING)'"
done

cat <<EOF

Done in $(elapsed).
  The mirror:        $MIRROR_BASE/pip/<platform>/  (wheels, <wheel>.metadata, simple/ -> the live index)
  Platforms:         debian-12 ($IMAGE_1), debian-13 ($IMAGE_2)
  Index for pip:     file://$MIRROR_BASE/pip/debian-12/simple/  (or debian-13)
  Serve it again:    node dist/src/cli/tsplay.cjs serve-mirror $MIRROR_BASE/pip --port 8080
                     then pip install --index-url http://127.0.0.1:8080/debian-12/simple/ Hello_World
  Point a host's pip at it: the pip-client role (roles/pip-client/README.md).
  Run it again: a second run finds nothing to change in the index (prune keeps the previous run's files).
EOF
