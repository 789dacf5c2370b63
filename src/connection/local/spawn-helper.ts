/**
 * How the local connection starts a command: through a small resident Python process that forks
 * much more cheaply than this (large) Node process (spawn_helper.py beside this file), or directly
 * when there is no helper. The helper starts lazily, at the first local command (a run that only
 * reaches remote hosts never starts it), serves commands once it answers, and never outlives
 * tsplay (it dies with its parent and kills what it started). If it dies, later commands start
 * directly; a command handed to it fails with a message saying so: one it was running is killed
 * (with its process group), and one it had not confirmed yet is not started a second time
 * (the helper may have started it, and running it again could repeat its effects).
 * TSPLAY_SPAWN_HELPER=0 turns it off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** what to run: the program, its arguments and its surroundings */
export interface LaunchSpec {
  file: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  stdin?: Buffer;
}

export interface Exit {
  /** exit code, or -N when killed by signal N (Python's convention, which Ansible reports) */
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface Running {
  done: Promise<Exit>;
  /** kills the command and everything it started (its process group) */
  kill(): void;
}

/** starts a command as a child of this process, leading its own process group */
export function launchDirect(spec: LaunchSpec): Running {
  let child: ChildProcess;
  try {
    child = spawn(spec.file, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // its own process group, as under the helper: a kill reaches what it started too
      detached: true,
    });
  } catch (err) {
    // e.g. a NUL byte in an argument: a failed call, not a crash of the engine
    return { done: Promise.reject(err as Error), kill: () => undefined };
  }
  const done = new Promise<Exit>((resolve, reject) => {
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => errOut.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const rc = code ?? (signal ? -(osConstants.signals[signal] ?? 1) : -1);
      resolve({ rc, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) });
    });
    if (spec.stdin !== undefined && child.stdin) {
      // a child that exits without reading stdin must not crash us with EPIPE
      child.stdin.on('error', () => undefined);
      child.stdin.end(spec.stdin);
    }
  });
  return {
    done,
    kill: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}

const ERRNO_CODES: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 8: 'ENOEXEC', 13: 'EACCES', 20: 'ENOTDIR', 21: 'EISDIR' };

interface HelperReply {
  id?: number;
  ready?: boolean;
  started?: boolean;
  pid?: number;
  rc?: number;
  stdout?: string;
  stderr?: string;
  errno?: number;
  error?: string;
}

interface Pending {
  spec: LaunchSpec;
  /** the command's pid (and process group), once the helper has started it */
  pid?: number;
  resolve(exit: Exit): void;
  reject(err: Error): void;
}

/** the helper's Python program: a file shipped beside the sources (dist/src or dist/bundle → src/) */
function helperProgram(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const asset = join('src', 'connection', 'local', 'spawn_helper.py');
  // beside this file (sources), from dist/src/connection/local, from dist/bundle
  for (const candidate of [join(here, 'spawn_helper.py'), join(here, '..', '..', '..', '..', asset), join(here, '..', '..', asset)]) {
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  return undefined;
}

export class SpawnHelper {
  private child: ChildProcess | undefined;
  private state: 'off' | 'starting' | 'ready' | 'failed' = 'off';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';

  ready(): boolean {
    return this.state === 'ready';
  }

  /** the helper's pid while it runs (tests) */
  pid(): number | undefined {
    return this.child?.pid;
  }

  /** the pids of the commands the helper has confirmed starting and still runs (tests) */
  runningPids(): number[] {
    return [...this.pending.values()].flatMap((waiter) => (waiter.pid === undefined ? [] : [waiter.pid]));
  }

  warmUp(): void {
    if (this.state !== 'off') return;
    const program = process.env.TSPLAY_SPAWN_HELPER === '0' ? undefined : helperProgram();
    if (program === undefined) {
      this.state = 'failed';
      return;
    }
    this.state = 'starting';
    let child: ChildProcess;
    try {
      // the system's Python when there is one: a shim on PATH (pyenv) starts slower than the commands it would speed up
      const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
      child = spawn(python, ['-I', '-S', '-c', program], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      this.state = 'failed';
      return;
    }
    this.child = child;
    child.on('error', () => this.fail());
    child.on('exit', () => this.fail());
    child.stdin!.on('error', () => this.fail());
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.receive(chunk));
    this.idle();
  }

  /** starts a command through the helper when it answers, directly otherwise (and warms the helper up) */
  launch(spec: LaunchSpec): Running {
    if (this.state !== 'ready') {
      this.warmUp();
      return launchDirect(spec);
    }
    const id = this.nextId++;
    let entry!: Pending;
    const done = new Promise<Exit>((resolve, reject) => {
      entry = { spec, resolve, reject };
      this.pending.set(id, entry);
    });
    // the helper started with the engine's environment: only a different one is sent
    let env: Record<string, string> | undefined;
    if (spec.env !== process.env) {
      env = {};
      for (const [k, v] of Object.entries(spec.env)) if (v !== undefined) env[k] = v;
    }
    const request = {
      id,
      file: spec.file,
      args: spec.args,
      // the helper's own cwd is where the engine was when it started; a command runs where the engine is now
      cwd: spec.cwd ?? process.cwd(),
      env,
      stdin: spec.stdin === undefined ? undefined : spec.stdin.toString('base64'),
    };
    this.busy();
    this.child!.stdin!.write(JSON.stringify(request) + '\n');
    return {
      done,
      kill: () => {
        if (this.pending.has(id)) this.child?.stdin?.write(JSON.stringify({ kill: id }) + '\n');
      },
    };
  }

  /** stops the helper (it kills what it still runs); the next command starts directly */
  stop(): void {
    this.child?.kill('SIGTERM');
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let msg: HelperReply;
      try {
        msg = JSON.parse(line) as HelperReply;
      } catch {
        this.fail();
        return;
      }
      if (msg.ready) {
        if (this.state === 'starting') this.state = 'ready';
        continue;
      }
      const waiter = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!waiter) continue;
      if (msg.started) {
        waiter.pid = msg.pid;
        continue;
      }
      this.pending.delete(msg.id!);
      if (msg.errno === 0) {
        waiter.reject(new Error(`cannot run ${waiter.spec.file}: ${msg.error ?? 'unknown error'}`));
      } else if (msg.errno !== undefined) {
        const code = ERRNO_CODES[msg.errno] ?? 'EUNKNOWN';
        const err = new Error(`spawn ${waiter.spec.file} ${code}`) as NodeJS.ErrnoException;
        err.code = code;
        err.errno = -msg.errno;
        err.path = waiter.spec.file;
        err.syscall = `spawn ${waiter.spec.file}`;
        waiter.reject(err);
      } else {
        waiter.resolve({
          rc: msg.rc ?? -1,
          stdout: Buffer.from(msg.stdout ?? '', 'base64'),
          stderr: Buffer.from(msg.stderr ?? '', 'base64'),
        });
      }
    }
    if (this.pending.size === 0) this.idle();
  }

  /**
   * The helper is gone. A stopped helper kills its commands' groups itself, but one killed by
   * SIGKILL (the OOM killer) cannot, so each group it confirmed is killed here too. A command it
   * had not confirmed may have started all the same: it fails too rather than run a second time.
   */
  private fail(): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.child?.kill();
    this.child = undefined;
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      if (waiter.pid !== undefined) {
        try {
          process.kill(-waiter.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
        waiter.reject(new Error(`the spawn helper stopped while running ${waiter.spec.file}; the command was killed with it`));
      } else {
        waiter.reject(new Error(`the spawn helper stopped before it confirmed starting ${waiter.spec.file}; it is not started again, as it may have run`));
      }
    }
  }

  /** while nothing is pending, the helper must not keep the engine's process alive */
  private idle(): void {
    this.child?.unref();
    (this.child?.stdin as Socket | undefined)?.unref?.();
    (this.child?.stdout as Socket | undefined)?.unref?.();
  }

  private busy(): void {
    this.child?.ref();
    (this.child?.stdin as Socket | undefined)?.ref?.();
    (this.child?.stdout as Socket | undefined)?.ref?.();
  }
}

/**
 * The commands still running, so an interrupted run can stop them all, each with its whole
 * process group; and however the engine ends, no command it started outlives it.
 */
const runningCommands = new Set<Running>();
let exitHooked = false;

export function trackRunning(running: Running): Running {
  runningCommands.add(running);
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', killRunningCommands);
  }
  const forget = (): void => {
    runningCommands.delete(running);
  };
  running.done.then(forget, forget);
  return running;
}

/** kills every command still running, with its whole process group (an interrupted run) */
export function killRunningCommands(): void {
  for (const running of runningCommands) running.kill();
  runningCommands.clear();
}

/** the one helper of this process */
export const spawnHelper = new SpawnHelper();

/** starts the spawn helper now and waits (up to timeoutMs) until commands go through it */
export async function warmSpawnHelper(timeoutMs = 5000): Promise<boolean> {
  spawnHelper.warmUp();
  const until = Date.now() + timeoutMs;
  while (!spawnHelper.ready() && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return spawnHelper.ready();
}
