#!/usr/bin/env bash
# Every public role of the corpus (test/realworld-roles/SOURCES.md; npm test runs the quick ones):
# each applied twice by ansible-playbook and twice by tsplay in fresh Debian containers, comparing
# task statuses, recaps and the end state (packages, /etc, processes). Prints the table that
# README.md shows; every difference is written to $TSPLAY_TEST_CACHE/realworld/last-report.md.
# Ansible's side is cached under $TSPLAY_TEST_CACHE/realworld (default /var/cache/tsplay-test).
# Goes through test/run.sh, which installs, builds and starts dockerd as needed.
#
#   bash scripts/realworld-roles.sh                            # all roles
#   REALWORLD_ROLE=nginx bash scripts/realworld-roles.sh       # only the matching ones
#   REALWORLD_CONCURRENCY=1 bash scripts/realworld-roles.sh    # roles at a time (default 2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export REALWORLD_ALL=1
export REALWORLD_CONCURRENCY="${REALWORLD_CONCURRENCY:-2}"
exec bash test/run.sh test/realworld-roles/realworld.test.ts
