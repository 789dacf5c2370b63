import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { commandModule } from '../../src/modules/builtin/command.js';
import { shellModule } from '../../src/modules/builtin/shell.js';
import { makeCtx, scratch, cleanup, withDefaults, requireAnsible, runAnsible, runTsplay, replaceIn, without, type Case } from './helpers.js';

const command = (args: Record<string, unknown>, opts: Parameters<typeof makeCtx>[0] = {}) =>
  commandModule.run(withDefaults(commandModule, args), makeCtx(opts));
const shell = (args: Record<string, unknown>, opts: Parameters<typeof makeCtx>[0] = {}) =>
  shellModule.run(withDefaults(shellModule, args), makeCtx(opts));

test('command: runs without a shell, reports rc/stdout/stderr/lines and timing', async () => {
  const r = await command({ _raw_params: "echo 'a  b' \"$HOME\" x|y" });
  assert.equal(r.changed, true);
  assert.equal(r.rc, 0);
  assert.deepEqual(r.cmd, ['echo', 'a  b', '$HOME', 'x|y']);
  // $HOME is expanded in argv as Ansible's run_command does, but no shell runs
  assert.equal(r.stdout, `a  b ${process.env.HOME} x|y`);
  assert.deepEqual(r.stdout_lines, [r.stdout]);
  assert.match(String(r.start), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(String(r.delta), /^0:00:00\.\d{6}$/);
  const failed = await command({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  assert.deepEqual([failed.failed, failed.rc, failed.msg, failed.stdout, failed.stderr], [true, 3, 'non-zero return code', 'out', 'err']);
  const missing = await command({ _raw_params: 'no-such-program-xyz' });
  assert.deepEqual([missing.failed, missing.rc, missing.changed, missing.msg], [true, 2, false, "[Errno 2] No such file or directory: b'no-such-program-xyz'"]);
  assert.equal((await command({ _raw_params: '   ' })).msg, 'no command given');
  assert.equal((await command({ _raw_params: 'echo', argv: ['echo'] })).msg, 'only command or argv can be given, not both');
});

test('command: creates/removes guards, chdir, stdin, check mode', async () => {
  const dir = await scratch();
  const marker = join(dir, 'marker');
  const skipped = await command({ _raw_params: `touch ${marker}`, removes: marker });
  assert.equal(skipped.changed, false);
  assert.equal(skipped.msg, `Did not run command since '${marker}' does not exist`);
  const checked = await command({ _raw_params: `touch ${marker}`, creates: marker }, { check: true });
  assert.deepEqual([checked.changed, checked.msg], [true, 'Command would have run if not in check mode']);
  await assert.rejects(stat(marker));
  const plain = await command({ _raw_params: `touch ${marker}` }, { check: true });
  assert.deepEqual([plain.changed, plain.skipped], [false, true]);
  assert.equal((await command({ _raw_params: `touch ${marker}`, creates: marker })).changed, true);
  await stat(marker);
  const again = await command({ _raw_params: `touch ${marker}`, creates: join(dir, 'mark*') });
  assert.deepEqual([again.changed, again.msg], [false, `Did not run command since '${join(dir, 'mark*')}' exists`]);
  assert.equal((await command({ _raw_params: 'pwd', chdir: dir })).stdout, dir);
  const badDir = await command({ _raw_params: 'pwd', chdir: join(dir, 'nope') });
  assert.equal(badDir.msg, `Unable to change directory before execution: [Errno 2] No such file or directory: b'${join(dir, 'nope')}'`);
  assert.equal((await command({ _raw_params: 'cat', stdin: 'abc' })).stdout, 'abc');
  assert.equal((await command({ _raw_params: 'od -c', stdin: 'x', stdin_add_newline: false })).stdout?.includes('\\n'), false);
  assert.equal((await command({ _raw_params: 'printf "x\\n\\n"', strip_empty_ends: false })).stdout, 'x\n\n');
  await cleanup(dir);
});

test('shell: pipes, env and executable', async () => {
  const r = await shell({ _raw_params: 'echo "$GREETING" | tr a-z A-Z' }, { env: { GREETING: 'hi' } });
  assert.equal(r.stdout, 'HI');
  assert.equal(r.cmd, 'echo "$GREETING" | tr a-z A-Z');
  const bash = await shell({ _raw_params: 'echo $0', executable: '/bin/bash' });
  assert.equal(bash.stdout, '/bin/bash');
});

test('command/shell: results match real Ansible', async (t) => {
  if (!(await requireAnsible(t))) return;
  const a = await scratch('tsplay-ans-');
  const b = await scratch('tsplay-tsp-');
  for (const root of [a, b]) await writeFile(join(root, 'exists'), '');
  const D = '@D@';
  const cases: Case[] = [
    { name: 'c1', module: 'command', args: { _raw_params: 'echo hello' } },
    { name: 'c2', module: 'command', args: { _raw_params: 'false' } },
    { name: 'c3', module: 'command', args: { argv: ['echo', 'a b'] } },
    { name: 'c4', module: 'command', args: { _raw_params: 'nonexistent_cmd_x' } },
    { name: 'c5', module: 'command', args: { _raw_params: 'echo hi', creates: `${D}/exists` } },
    { name: 'c6', module: 'command', args: { _raw_params: 'echo hi', removes: `${D}/nonexistent` } },
    { name: 'c7', module: 'shell', args: { _raw_params: "echo out; echo err >&2; printf '\\n\\n'" } },
    { name: 'c8', module: 'command', args: { _raw_params: 'cat', stdin: 'abc' } },
    { name: 'c9', module: 'command', args: { _raw_params: 'pwd', chdir: D } },
    { name: 'c10', module: 'command', args: { _raw_params: 'pwd', chdir: `${D}/nonexistent` } },
    { name: 'c11', module: 'command', args: { _raw_params: 'echo hi', creates: `${D}/nonexistent` } },
    { name: 'c12', module: 'shell', args: { _raw_params: 'echo $0', executable: '/bin/bash' } },
    { name: 'c13', module: 'command', args: { _raw_params: "echo 'a  b' \"c\" d\\ e" } },
    { name: 'c14', module: 'command', args: { _raw_params: 'echo x', strip_empty_ends: false } },
    { name: 'c15', module: 'command', args: { _raw_params: 'echo x | cat' } },
    { name: 'c16', module: 'command', args: { _raw_params: 'echo hello' }, check: true },
    { name: 'c17', module: 'command', args: { _raw_params: 'echo hi', creates: `${D}/ex*` }, check: true },
    { name: 'c18', module: 'command', args: { _raw_params: 'echo hi', creates: `${D}/nonexistent` }, check: true },
    { name: 'c19', module: 'shell', args: { _raw_params: 'exit 5' } },
    { name: 'c20', module: 'command', args: { _raw_params: 'echo hi', executable: '/bin/bash' } },
    { name: 'c21', module: 'shell', args: { _raw_params: 'printf "a\\r\\nb\\n"' } },
  ];
  const ansible = await runAnsible(replaceIn(cases, D, a), a);
  const ours = await runTsplay(replaceIn(cases, D, b), { command: commandModule, shell: shellModule });
  const volatile = ['start', 'end', 'delta'];
  for (const c of cases) {
    const expected = without(replaceIn(ansible[c.name], a, D), volatile) as Record<string, unknown>;
    const actual = without(replaceIn(ours[c.name], b, D), volatile) as Record<string, unknown>;
    assert.deepEqual(actual, expected, `case ${c.name}`);
    // the timing keys are present (or null) exactly where Ansible has them
    for (const key of volatile) assert.equal(ours[c.name][key] === null, ansible[c.name][key] === null, `${c.name}.${key}`);
  }
  await cleanup(a);
  await cleanup(b);
});
