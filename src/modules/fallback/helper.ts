/**
 * The resident controller-side helper: one Python process per tsplay run, started on the first
 * fallback task, answering JSON lines. It holds Ansible's payload cache, so a module is zipped
 * once per run. It never outlives tsplay: it is killed on process exit, and if tsplay dies
 * without running exit handlers the helper sees its stdin close and exits by itself. While no
 * request is pending it does not keep tsplay's event loop alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { HELPER_SOURCE } from './helper-source.js';
import { controllerPython } from './python.js';

interface Waiter {
  resolve(reply: Record<string, unknown>): void;
  reject(err: Error): void;
}

class ResidentHelper {
  private child: ChildProcess | undefined;
  private buffered = '';
  private nextId = 1;
  private readonly pending = new Map<number, Waiter>();
  private stderr = '';

  private start(): ChildProcess {
    const python = controllerPython();
    if (!python) throw new Error('the fallback for Ansible modules needs ansible-core on the controller (ansible-playbook not found)');
    // -u: answers must not sit in a pipe buffer
    const child = spawn(python, ['-u', '-c', HELPER_SOURCE], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const kill = (): void => {
      child.kill('SIGTERM');
    };
    process.once('exit', kill);
    child.on('exit', (code, signal) => {
      process.removeListener('exit', kill);
      if (this.child !== child) return; // a helper stop() already let go of
      this.fail(new Error(`the fallback's Python helper exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`));
    });
    child.on('error', (err) => this.fail(new Error(`cannot start the fallback's Python helper ${python}: ${err.message}`)));
    child.stdin!.on('error', () => undefined);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.receive(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    return child;
  }

  async request(op: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.setRef(true);
    child.stdin!.write(JSON.stringify({ ...body, op, id }) + '\n');
    return reply;
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new Error(`the fallback's Python helper sent garbage: ${line.slice(0, 200)}`));
        return;
      }
      if (msg.ready) continue;
      const id = typeof msg.id === 'number' ? msg.id : -1;
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      this.pending.delete(id);
      waiter.resolve(msg);
    }
    if (this.pending.size === 0) this.setRef(false);
  }

  private fail(err: Error): void {
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
    const child = this.child;
    this.child = undefined;
    this.buffered = '';
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  private setRef(on: boolean): void {
    const c = this.child;
    if (!c) return;
    if (on) c.ref();
    else c.unref();
    for (const s of [c.stdin, c.stdout, c.stderr] as unknown as (Socket | null)[]) {
      if (on) s?.ref?.();
      else s?.unref?.();
    }
  }

  /** ends the helper (stdin closed: it exits and Ansible removes its local tmp dir) */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, 3000);
      c.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      c.stdin?.end();
    });
  }
}

export const helper = new ResidentHelper();

/** for the end of a run, so the helper's exit is awaited rather than left to process exit */
export function stopFallbackHelper(): Promise<void> {
  return helper.stop();
}
