#!/usr/bin/env bash
# Sourced by the README's two commands (scripts/demo.sh, test/run.sh) before anything runs Node:
# tsplay needs Node 20 or newer, and Debian 12's own nodejs is 18.
# As root it installs Node 20 when it is missing or older: Debian's nodejs and npm first (for npm),
# then the `node@20` package from the npm registry, which ships the Node binary itself and puts it
# in /usr/local/bin (ahead of /usr/bin on root's PATH). TSPLAY_INSTALL_NODE=0 only prints the steps.
# Returns non-zero (the caller exits) when no Node 20 can be had.

tsplay_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

tsplay_node_steps() {
  cat >&2 <<'STEPS'
tsplay needs Node.js 20 or newer (Debian 12's own nodejs is 18). As root, either:
  apt-get update && apt-get install -y nodejs npm && npm install -g node@20 && hash -r
(the npm package node@20 ships the Node 20 binary and installs it as /usr/local/bin/node), or
install Node 20 from NodeSource or nvm. Then run this command again.
STEPS
}

tsplay_require_node() {
  local major
  major=$(tsplay_node_major)
  [ "$major" -ge 20 ] && return 0
  if [ "$major" -eq 0 ]; then echo "Node.js is missing: tsplay needs 20 or newer" >&2
  else echo "Node.js $major is too old: tsplay needs 20 or newer" >&2; fi
  if [ "$(id -u)" -ne 0 ] || [ "${TSPLAY_INSTALL_NODE:-1}" = 0 ]; then
    tsplay_node_steps
    return 1
  fi
  echo "installing Node 20 (Debian's nodejs/npm, then node@20 from the npm registry)" >&2
  if ! command -v npm >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null || { tsplay_node_steps; return 1; }
  fi
  npm install -g --no-audit --no-fund node@20 >/dev/null || { tsplay_node_steps; return 1; }
  hash -r
  major=$(tsplay_node_major)
  if [ "$major" -lt 20 ]; then
    echo "node on the PATH is still major $major after installing node@20 (is /usr/local/bin on the PATH?)" >&2
    tsplay_node_steps
    return 1
  fi
  echo "Node $(node --version) installed" >&2
}
