/**
 * `async` + `poll: 0` for command/shell, detached on the target as Ansible's async_wrapper does:
 * the command is started there in its own session (setsid), outlives the connection and the run,
 * and leaves its result as JSON in `~/.ansible_async/<jid>` (the become user's home), in the
 * format Ansible's async_status reads: `{"started": 1, "finished": 0, ...}` while it runs, then the
 * module's result. async_status reads that file through the connection. Only POSIX sh, date, sed,
 * tr and awk are needed there (`timeout` from coreutils enforces the time limit when present).
 */
import { randomInt } from 'node:crypto';
import type { BecomeOptions, Connection } from '../connection/types.js';
import type { ModuleResult } from '../modules/types.js';
import type { CommandPlan } from '../modules/builtin/command-core.js';
import { targetEnvironment } from '../modules/target-env.js';
import { splitLines } from '../modules/builtin/support/lines.js';

/** the async directory on the target: ~/.ansible_async of the user the task runs as */
export async function asyncDir(conn: Connection, become: BecomeOptions, taskEnv: Record<string, string>): Promise<string> {
  const target = await targetEnvironment(conn, become, taskEnv);
  return `${target.home.replace(/\/+$/, '')}/.ansible_async`;
}

/**
 * Starts the planned command detached on the target; the first status is written before the
 * launch returns. $1 results file, $2 jid, $3 time limit (s), $4 cwd or '', $5 1 when stdin
 * follows on our stdin, then the command's argv.
 */
const LAUNCH = String.raw`w=$1; shift
d=$(dirname "$1"); mkdir -p "$d" && chmod 700 "$d" || exit 1
printf '{"started": 1, "finished": 0, "ansible_job_id": "%s"}\n' "$2" > "$1" || exit 1
if [ "$5" = 1 ]; then cat > "$1.in" || exit 1; fi
if command -v setsid >/dev/null 2>&1; then setsid /bin/sh -c "$w" wrapper "$@" </dev/null >/dev/null 2>&1 &
else nohup /bin/sh -c "$w" wrapper "$@" </dev/null >/dev/null 2>&1 &
fi`;

/**
 * The detached part: runs the command, then writes the command module's result as JSON (stdout
 * and stderr escaped with sed/tr/awk, trailing empty lines dropped as strip_empty_ends does).
 */
const WRAPPER = String.raw`f=$1; jid=$2; limit=$3; cwd=$4; input=$5; shift 5
cmdjson=$TSPLAY_ASYNC_CMD; inv=$TSPLAY_ASYNC_INVOCATION; unset TSPLAY_ASYNC_CMD TSPLAY_ASYNC_INVOCATION
esc() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' -e 's/\r/\\r/g' "$1" | tr -d '\000-\010\013\014\016-\037' |
  awk '{l[n++]=$0} END{while(n>0 && l[n-1]=="") n--; for(i=0;i<n;i++) printf "%s%s", (i?"\\n":""), l[i]}'; }
start=$(date '+%Y-%m-%d %H:%M:%S.%6N'); t0=$(date +%s%6N)
[ -z "$cwd" ] || cd "$cwd" || exit 1
if command -v timeout >/dev/null 2>&1; then set -- timeout -s KILL "$limit" "$@"; fi
if [ "$input" = 1 ]; then "$@" <"$f.in" >"$f.out" 2>"$f.err"; else "$@" </dev/null >"$f.out" 2>"$f.err"; fi
rc=$?
end=$(date '+%Y-%m-%d %H:%M:%S.%6N'); t1=$(date +%s%6N)
if [ "$rc" = 137 ] && [ $(( (t1 - t0) / 1000000 )) -ge "$limit" ]; then
  printf '{"msg": "Timeout exceeded", "failed": true}\n' > "$f.tmp"
else
  delta=$(awk -v a="$t0" -v b="$t1" 'BEGIN{d=b-a; us=d%1000000; s=int(d/1000000); t=sprintf("%d:%02d:%02d", int(s/3600), int((s%3600)/60), s%60); if (us>0) t=t sprintf(".%06d", us); printf "%s", t}')
  msg=""; failed=""
  [ "$rc" = 0 ] || { msg="non-zero return code"; failed=', "failed": true'; }
  { printf '{"changed": true, "cmd": %s, "rc": %d, "start": "%s", "end": "%s", "delta": "%s", "stdout": "' "$cmdjson" "$rc" "$start" "$end" "$delta"
    esc "$f.out"; printf '", "stderr": "'; esc "$f.err"
    printf '", "msg": "%s"%s, "invocation": %s}\n' "$msg" "$failed" "$inv"; } > "$f.tmp"
fi
mv -f "$f.tmp" "$f"; rm -f "$f.out" "$f.err" "$f.in"`;

export interface TargetJobOptions {
  become: BecomeOptions;
  env: Record<string, string>;
  asyncSeconds: number;
  /** the validated module arguments, for the result's invocation */
  moduleArgs: Record<string, unknown>;
}

/** Launches the plan on the target; answers what Ansible answers for a started async task. */
export async function startCommandOnTarget(conn: Connection, plan: CommandPlan, opts: TargetJobOptions): Promise<ModuleResult> {
  const jid = `j${randomInt(0, 999_999_999_999)}.${process.pid}`;
  const file = `${await asyncDir(conn, opts.become, opts.env)}/${jid}`;
  const argv = typeof plan.toRun === 'string' ? ['/bin/sh', '-c', plan.toRun] : plan.toRun;
  const env = {
    ...opts.env,
    TSPLAY_ASYNC_CMD: JSON.stringify(plan.result.cmd ?? null),
    TSPLAY_ASYNC_INVOCATION: JSON.stringify({ module_args: opts.moduleArgs }),
  };
  const hasStdin = plan.stdin !== undefined;
  const res = await conn.exec(
    ['/bin/sh', '-c', LAUNCH, 'launch', WRAPPER, file, jid, String(Math.max(1, Math.trunc(opts.asyncSeconds))), plan.cwd ?? '', hasStdin ? '1' : '0', ...argv],
    { become: opts.become, env, stdin: plan.stdin },
  );
  if (res.rc !== 0) {
    return { failed: true, changed: false, msg: `could not start the async job on the target: ${res.stderr.trim() || `rc=${res.rc}`}`, ansible_job_id: jid };
  }
  return { ansible_job_id: jid, changed: true, failed: 0 as unknown as boolean, finished: 0, results_file: file, started: 1 };
}

/** async_status for a job started on the target: reads (or, for cleanup, removes) its file there */
export async function targetJobStatus(conn: Connection, jid: string, mode: 'status' | 'cleanup', become: BecomeOptions, env: Record<string, string>): Promise<ModuleResult> {
  const file = `${await asyncDir(conn, become, env)}/${jid}`;
  const base: ModuleResult = { ansible_job_id: jid, started: 0, finished: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], changed: false };
  const info = await conn.stat(file, { follow: true, become });
  if (!info) return { ...base, failed: true, msg: 'could not find job', results_file: file, started: 1, finished: 1 };
  if (mode === 'cleanup') {
    await conn.remove(file, { become });
    return { ...base, erased: file };
  }
  let text = '';
  let data: Record<string, unknown> | undefined;
  try {
    text = (await conn.readFile(file, { become })).toString('utf8');
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    if (!text.trim()) return { ...base, results_file: file, started: 1, finished: 0 };
    return { ...base, failed: true, results_file: file, started: 1, finished: 1, msg: `Could not parse job output: ${text}` };
  }
  if (!('started' in data)) {
    data.finished = 1;
    data.ansible_job_id = jid;
  } else if (!('finished' in data)) {
    data.finished = 0;
  }
  // the job's own invocation is the command's; async_status reports its own
  delete data.invocation;
  const result = { ...base, results_file: file, started: 1, ...data } as ModuleResult;
  // the executor adds these to every result; here they must follow the job's output
  result.stdout_lines = splitLines(String(result.stdout ?? ''));
  result.stderr_lines = splitLines(String(result.stderr ?? ''));
  return result;
}
