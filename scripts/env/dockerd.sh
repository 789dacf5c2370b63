#!/usr/bin/env bash
# Start, stop or check a bridgeless Docker daemon for development (test/run.sh manages its own).
#   scripts/env/dockerd.sh start    # starts dockerd only if none answers; pid in $PIDFILE
#   scripts/env/dockerd.sh stop     # stops only the dockerd whose pid is in $PIDFILE
#   scripts/env/dockerd.sh status
# No default bridge, no iptables: containers use the host network and no private-range address
# ever appears on this machine.
set -uo pipefail
PIDFILE=${TSPLAY_DOCKERD_PIDFILE:-/tmp/tsplay-dockerd.pid}
LOG=${TSPLAY_DOCKERD_LOG:-/tmp/tsplay-dockerd.log}

answers() {
  [ -S /var/run/docker.sock ] &&
    curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1
}
recorded_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

case "${1:-status}" in
  start)
    if answers; then echo "dockerd already answers (pid file: $(recorded_pid || echo none))"; exit 0; fi
    dockerd --bridge=none --iptables=false --ip-masq=false >"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    for _ in $(seq 1 120); do answers && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if answers; then echo "dockerd started (pid $pid, log $LOG)"; else echo "dockerd failed; see $LOG" >&2; exit 1; fi
    ;;
  stop)
    pid=$(recorded_pid) || { echo "no dockerd recorded in $PIDFILE; nothing stopped"; exit 0; }
    kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    rm -f "$PIDFILE"
    echo "dockerd (pid $pid) stopped"
    ;;
  status)
    if answers; then echo "dockerd answers (recorded pid: $(recorded_pid || echo none))"; else echo "dockerd does not answer"; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
