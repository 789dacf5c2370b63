#!/usr/bin/env node
/**
 * The `tsplay` executable. It runs the one-file bundle of the engine (dist/bundle/tsplay.cjs,
 * made by scripts/bundle.mjs) through V8's code cache, so a run starts without parsing and
 * compiling ~2 MB of JavaScript: start-up is most of what a short playbook costs.
 *
 * Node 22 has module.enableCompileCache(); Node 20, our floor, does not, and v8-compile-cache
 * keeps only what was compiled before the program ran, not the functions a playbook run
 * compiles later. So the cache is made here, after a run, with script.createCachedData().
 *
 * The cache file sits beside the bundle. The build makes it (a warm-up run); a run whose cache is
 * missing or rejected (another Node, other V8 flags) writes a fresh one at exit, through a
 * temporary file and a rename, and says nothing if it cannot. Without a current bundle (only
 * `tsc` was run since) the unbundled entry point runs instead, so what runs is what was compiled.
 *
 * The build (scripts/bundle.mjs) replaces the #! line above with two lines that /bin/sh runs and
 * JavaScript reads as a directive and a comment: they start Node without NODE_EXTRA_CA_CERTS, whose
 * certificates Node would parse before anything else (~50 ms for a system bundle), handing the
 * value over as TSPLAY_EXTRA_CA_CERTS. src/util/extra-ca.ts explains the rest.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

/** NODE_EXTRA_CA_CERTS back for the commands tsplay runs; its certificates for tsplay's own HTTPS */
function takeDeferredCaCerts(): void {
  const file = process.env.TSPLAY_EXTRA_CA_CERTS;
  if (file === undefined) return;
  delete process.env.TSPLAY_EXTRA_CA_CERTS;
  if (file === '') return;
  process.env.NODE_EXTRA_CA_CERTS = file;
  // the key src/util/extra-ca.ts reads
  (globalThis as Record<symbol, unknown>)[Symbol.for('tsplay.deferredExtraCaCerts')] = file;
}
takeDeferredCaCerts();

const bundle = join(__dirname, '..', '..', 'bundle', 'tsplay.cjs');
const cacheFile = `${bundle}.v8cache`;
/** commands whose run exercises enough of the engine to be worth caching */
const CACHING_COMMANDS = new Set(['run', 'check']);

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

function writeCache(script: Script): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
  } catch {
    // a read-only installation runs without a cache: slower to start, nothing else
    rmSync(temp, { force: true });
  }
}

function runBundle(): void {
  if (process.env.TSPLAY_DEBUG) process.setSourceMapsEnabled(true);
  // the bundle starts with the entry point's #! line, which is not JavaScript inside a function
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const cachedData = readCache();
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  // the bundle turns import() into require() (scripts/bundle.mjs); should one slip through, it
  // still loads as it would in a module of the main program
  const script = new Script(wrapper, { filename: bundle, cachedData, importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const refresh = cachedData === undefined || script.cachedDataRejected === true;
  if (refresh && CACHING_COMMANDS.has(process.argv[2] ?? '')) process.once('exit', () => writeCache(script));
  const start = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = { exports: {} };
  start.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}

/** the bundle, unless it is missing or older than what tsc last compiled */
function bundleIsCurrent(): boolean {
  if (process.env.TSPLAY_NO_BUNDLE === '1') return false;
  const built = statSync(bundle, { throwIfNoEntry: false });
  if (!built) return false;
  const compiled = statSync(join(__dirname, 'main.js'), { throwIfNoEntry: false });
  if (compiled && compiled.mtimeMs > built.mtimeMs) {
    process.stderr.write('[tsplay] dist/bundle is older than dist/src: running unbundled (slower start); `npm run build` bundles again\n');
    return false;
  }
  return true;
}

if (bundleIsCurrent()) runBundle();
else void import('./main.js');
