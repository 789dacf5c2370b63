/**
 * The local connection's spawn helper (src/connection/local/spawn-helper.ts and spawn_helper.py):
 * it starts at the first command, runs commands as its children in process groups of their own,
 * kills whole groups, lets later commands start directly when it dies, and never outlives the
 * process that started it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LocalConnection } from '../../src/connection/local.js';
import { spawnHelper, warmSpawnHelper } from '../../src/connection/local/spawn-helper.js';

/** pids of the processes whose command line contains `marker` */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('commands run as children of the helper once it answers, each leading its own process group', async () => {
  assert.ok(await warmSpawnHelper(), 'the helper starts (python3 is part of the test machine)');
  const conn = new LocalConnection();
  const res = await conn.exec(['sh', '-c', 'echo "$PPID $$ $(ps -o pgid= -p $$)"']);
  assert.equal(res.rc, 0, res.stderr);
  const [ppid, pid, pgid] = res.stdout.trim().split(/\s+/).map(Number);
  assert.equal(ppid, spawnHelper.pid());
  assert.equal(pgid, pid, 'the command leads its own process group');
});

test('a killed command takes what it started with it (the whole process group)', async () => {
  assert.ok(await warmSpawnHelper());
  const marker = `tsplay-group-${randomBytes(4).toString('hex')}`;
  const conn = new LocalConnection();
  const controller = new AbortController();
  // a shell that starts two more shells in the background; each keeps the marker in its command line
  const running = conn.exec(['sh', '-c', `sh -c 'sleep 300; :' ${marker}-a & sh -c 'sleep 300; :' ${marker}-b & wait`], { signal: controller.signal });
  await until('the command and both of its children run', () => processesWith(marker).length >= 3);
  controller.abort(new Error('stop'));
  await assert.rejects(running);
  await until('no process of the group left', () => processesWith(marker).length === 0);
});

test('when the helper dies (even by SIGKILL), the command it ran is killed and fails saying so, and later commands start directly', async () => {
  assert.ok(await warmSpawnHelper());
  const conn = new LocalConnection();
  const marker = `tsplay-helper-death-${randomBytes(4).toString('hex')}`;
  const running = conn.exec(['sh', '-c', 'sleep 300; :', marker]);
  // the helper has confirmed it, not only started it (its reply may lag behind the process under load)
  await until('the helper confirms the command', () => processesWith(marker).some((pid) => spawnHelper.runningPids().includes(pid)));
  process.kill(spawnHelper.pid()!, 'SIGKILL');
  await assert.rejects(running, /spawn helper stopped while running sh; the command was killed with it/);
  await until('the command is gone with the helper', () => processesWith(marker).length === 0);
  const after = await conn.exec(['echo', 'still here']);
  assert.equal(after.rc, 0);
  assert.equal(after.stdout, 'still here\n');
});

test('the helper starts at the first local command, not before, and dies with its parent (even by SIGKILL), taking its commands along', async () => {
  const marker = `tsplay-orphan-${randomBytes(4).toString('hex')}`;
  const local = fileURLToPath(new URL('../../src/connection/local.js', import.meta.url));
  const helper = fileURLToPath(new URL('../../src/connection/local/spawn-helper.js', import.meta.url));
  const script = `
    const { LocalConnection } = await import(${JSON.stringify(local)});
    const { spawnHelper, warmSpawnHelper } = await import(${JSON.stringify(helper)});
    const conn = new LocalConnection();
    await conn.stat('/etc/passwd');
    await conn.writeFile(process.env.SCRATCH + '/f', 'x');
    console.log('before-command ' + (spawnHelper.pid() ?? 'none'));
    await conn.exec(['true']);
    await warmSpawnHelper();
    console.log('helper ' + spawnHelper.pid());
    conn.exec(['sh', '-c', 'sleep 300; :', ${JSON.stringify(marker)}]);
    setInterval(() => {}, 1000);
  `;
  const { mkdtempSync, rmSync } = await import('node:fs');
  const scratch = mkdtempSync('/tmp/tsplay-helper-');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SCRATCH: scratch }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await until('the child ran its command through the helper', () => /helper \d+/.test(out) && processesWith(marker).length > 0, 10_000);
    assert.match(out, /before-command none/, 'file operations alone start no helper');
    const helperPid = Number(/helper (\d+)/.exec(out)![1]);
    child.kill('SIGKILL');
    await until('the helper is gone', () => {
      try {
        return readFileSync(`/proc/${helperPid}/stat`, 'utf8').split(' ')[2] === 'Z';
      } catch {
        return true;
      }
    });
    await until('its command is gone', () => processesWith(marker).length === 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  }
});
