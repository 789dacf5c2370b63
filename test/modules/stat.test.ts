import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir, symlink, chmod, stat as fsStat } from 'node:fs/promises';
import { join } from 'node:path';
import { statModule } from '../../src/modules/builtin/stat.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, without, type Case } from './helpers.js';

const run = (args: Record<string, unknown>) => statModule.run(withDefaults(statModule, args), makeCtx());

async function fixture(root: string): Promise<void> {
  await writeFile(join(root, 'f'), 'hello\n');
  await writeFile(join(root, 'empty'), '');
  await writeFile(join(root, 'bin'), Buffer.from([0, 1, 2, 255, 0]));
  await writeFile(join(root, 'script'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'script'), 0o4755);
  await mkdir(join(root, 'd'));
  await symlink(join(root, 'f'), join(root, 'l'));
  await symlink('missing', join(root, 'dangling'));
}

test('stat: existing file, directory, link and missing path', async () => {
  const dir = await scratch();
  await fixture(dir);
  const f = (await run({ path: join(dir, 'f') })).stat as Record<string, unknown>;
  assert.equal(f.exists, true);
  assert.equal(f.isreg, true);
  assert.equal(f.mode, ((await fsStat(join(dir, 'f'))).mode & 0o7777).toString(8).padStart(4, '0'));
  assert.equal(f.size, 6);
  assert.equal(f.checksum, 'f572d396fae9206628714fb2ce00f72e94f2258f');
  assert.equal(f.mimetype, 'text/plain');
  const l = (await run({ path: join(dir, 'l') })).stat as Record<string, unknown>;
  assert.equal(l.islnk, true);
  assert.equal(l.lnk_target, join(dir, 'f'));
  assert.equal(l.checksum, undefined);
  const lf = (await run({ path: join(dir, 'l'), follow: true, checksum_algorithm: 'sha256' })).stat as Record<string, unknown>;
  assert.equal(lf.isreg, true);
  assert.equal(lf.checksum, '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
  const d = (await run({ path: join(dir, 'd'), get_mime: false, get_attributes: false })).stat as Record<string, unknown>;
  assert.equal(d.isdir, true);
  assert.equal(d.mimetype, undefined);
  const missing = await run({ path: join(dir, 'nope') });
  assert.deepEqual(missing, { changed: false, stat: { exists: false } });
  await cleanup(dir);
});

test('stat: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  await fixture(a);
  await fixture(b);
  const D = '@D@';
  const cases: Case[] = [
    { name: 's1', module: 'stat', args: { path: `${D}/f` } },
    { name: 's2', module: 'stat', args: { path: `${D}/d` } },
    { name: 's3', module: 'stat', args: { path: `${D}/l` } },
    { name: 's4', module: 'stat', args: { path: `${D}/l`, follow: true, checksum_algorithm: 'sha256' } },
    { name: 's5', module: 'stat', args: { path: `${D}/nope` } },
    { name: 's6', module: 'stat', args: { path: `${D}/f`, get_checksum: false, get_mime: false, get_attributes: false } },
    { name: 's7', module: 'stat', args: { path: `${D}/empty`, get_md5: true } },
    { name: 's8', module: 'stat', args: { path: `${D}/bin`, checksum_algorithm: 'md5' } },
    { name: 's9', module: 'stat', args: { path: `${D}/script` } },
    { name: 's10', module: 'stat', args: { path: `${D}/dangling` } },
    { name: 's11', module: 'stat', args: { path: `${D}/dangling`, follow: true } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { stat: statModule });
  // per-file identities and clocks differ between the two trees
  const volatile = ['atime', 'ctime', 'mtime', 'inode', 'version'];
  for (const c of cases) {
    const expected = without(replaceIn(ansible[c.name], a, D), volatile);
    const actual = without(replaceIn(ours[c.name], b, D), volatile);
    assert.deepEqual(actual, expected, `case ${c.name}`);
  }
  // mtime is reported in seconds as a float, like Python's st_mtime
  const mt = (ours.s1.stat as { mtime: number }).mtime;
  assert.ok(Math.abs(mt - (await fsStat(join(b, 'f'))).mtimeMs / 1000) < 1e-3);
  await cleanup(a);
  await cleanup(b);
});
