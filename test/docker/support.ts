/**
 * Helpers for the docker tests: a ModuleContext over a real LocalConnection, module arguments
 * with the spec's aliases and defaults applied (what the engine's argspec step does before
 * run()), and the Docker daemon / base image the tests need.
 */
import type { TestContext } from 'node:test';
import type { ArgumentSpec } from '../../src/argspec/types.js';
import { LocalConnection } from '../../src/connection/local.js';
import type { Connection } from '../../src/connection/types.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../../src/modules/types.js';
import { baseImage, dockerAvailable, requireService, runCommand } from '../support/services.js';

export function moduleContext(opts: { conn?: Connection; check?: boolean; diff?: boolean; warnings?: string[] } = {}): ModuleContext {
  const warnings = opts.warnings ?? [];
  return {
    conn: opts.conn ?? new LocalConnection('localhost'),
    host: 'localhost',
    check: opts.check ?? false,
    diff: opts.diff ?? false,
    become: { become: false },
    env: {},
    facts: {},
    vars: {},
    findFile: () => undefined,
    renderTemplate: (s: string) => s,
    warn: (m: string) => warnings.push(m),
    log: () => undefined,
  };
}

/** aliases resolved and defaults filled in, recursively, as Ansible's module argspec does */
export function withDefaults(spec: ArgumentSpec, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const aliasOf = new Map<string, string>();
  for (const [name, opt] of Object.entries(spec)) for (const a of opt.aliases ?? []) aliasOf.set(a, name);
  for (const [k, v] of Object.entries(args)) {
    const name = aliasOf.get(k) ?? k;
    if (!(name in spec)) throw new Error(`unsupported parameter ${k}`);
    out[name] = v;
  }
  for (const [name, opt] of Object.entries(spec)) {
    if (out[name] === undefined) out[name] = opt.default ?? null;
    const sub = opt.options;
    if (sub && out[name] !== null && out[name] !== undefined) {
      if (opt.type === 'list' && Array.isArray(out[name])) {
        out[name] = (out[name] as Record<string, unknown>[]).map((item) => withDefaults(sub, item));
      } else if (opt.type === 'dict') {
        out[name] = withDefaults(sub, out[name] as Record<string, unknown>);
      }
    }
  }
  return out;
}

export async function runModule(
  mod: ModuleDefinition,
  args: Record<string, unknown>,
  ctx: ModuleContext = moduleContext(),
): Promise<ModuleResult> {
  return mod.run(withDefaults(mod.spec.options ?? {}, args), ctx);
}

/** The daemon must answer (fails under CI=true, skips elsewhere). */
export async function needDocker(t: TestContext): Promise<boolean> {
  return requireService(
    t,
    'dockerd',
    await dockerAvailable(),
    'start it: dockerd --bridge=none --iptables=false --ip-masq=false &',
  );
}

let imagePromise: Promise<string> | undefined;
/** The shared Debian base image (built once by test/support into the cache). */
export function testImage(): Promise<string> {
  imagePromise ??= baseImage('bookworm');
  return imagePromise;
}

/** docker rm -f / volume rm of whatever the test created (by name); never fails. */
export async function removeContainers(names: string[]): Promise<void> {
  if (names.length) await runCommand('docker', ['rm', '-f', '-v', ...names]);
}

export async function removeVolumes(names: string[]): Promise<void> {
  if (names.length) await runCommand('docker', ['volume', 'rm', '-f', ...names]);
}

export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
}
