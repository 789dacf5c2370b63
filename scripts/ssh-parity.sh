#!/usr/bin/env bash
# Every parity case that can run over SSH (npm test runs a representative part of them): each
# case through ansible-playbook (ssh, pipelining on) and through tsplay against fresh sshd
# containers, comparing exit code, recap and the files written on the target. Ansible's side is
# cached under $TSPLAY_TEST_CACHE/ssh-parity (default /var/cache/tsplay-test), so only the first
# run of a changed case pays for Ansible. Goes through test/run.sh, which installs, builds and
# starts dockerd as needed and stops what it started.
#
#   bash scripts/ssh-parity.sh                          # all eligible cases
#   PARITY_CASE=prec bash scripts/ssh-parity.sh         # only the matching ones
#   SSH_PARITY_CONCURRENCY=3 bash scripts/ssh-parity.sh # cases at a time (default 2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export SSH_PARITY_ALL=1
exec bash test/run.sh test/parity/ssh-parity.test.ts
