/**
 * The argspec API around the validator: spec-file lookup (checked against real Ansible), malformed
 * spec files reported with file:line:column, the validate_argument_spec module (checked against
 * Ansible's own action), the editor schema, and the caching contract.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ansibleAvailable, requireService, runAnsiblePlaybook, tempDir } from '../support/services.js';
import {
  compileArgSpec,
  formatRoleValidationFailure,
  hasEntryPoint,
  loadRoleArgumentSpecs,
  providedArguments,
  roleArgumentsJsonSchema,
  roleEntryPoint,
  runValidateArgumentSpec,
  validateRoleArguments,
  validationTaskName,
} from '../../src/argspec/index.js';
import { modules } from '../../src/argspec/validate-module.js';

async function writeRole(root: string, name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, 'roles', name);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

const SPEC_A = 'argument_specs:\n  main:\n    options:\n      from_specs_file: {required: true}\n';
const SPEC_MAIN = 'argument_specs:\n  main:\n    options:\n      from_meta_main: {required: true}\n';

/** role name → its meta files; every call passes no params, so the verdict names the file used */
const LOOKUP_ROLES: Record<string, Record<string, string>> = {
  only_meta_main: { 'meta/main.yml': SPEC_MAIN },
  both_files: { 'meta/argument_specs.yml': SPEC_A, 'meta/main.yml': SPEC_MAIN },
  yaml_ext: { 'meta/argument_specs.yaml': SPEC_A },
  json_ext: { 'meta/argument_specs.json': JSON.stringify({ argument_specs: { main: { options: { from_specs_file: { required: true } } } } }) },
  empty_specs_file: { 'meta/argument_specs.yml': '', 'meta/main.yml': SPEC_MAIN },
  null_specs_key: { 'meta/argument_specs.yml': 'argument_specs:\n' },
  main_yaml_ext: { 'meta/main.yaml': SPEC_MAIN },
  other_entry_only: { 'meta/argument_specs.yml': 'argument_specs:\n  other:\n    options:\n      x: {required: true}\n' },
  null_entry: { 'meta/argument_specs.yml': 'argument_specs:\n  main:\n' },
};

test('spec file lookup matches Ansible: which file wins, extensions, empty files', { timeout: 120_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-argspec-lookup-', t);
  for (const [name, files] of Object.entries(LOOKUP_ROLES)) await writeRole(dir, name, files);
  const roles = Object.keys(LOOKUP_ROLES).map((r) => `    - {role: ${r}, ignore_errors: true}`);
  await writeFile(join(dir, 'site.yml'), `- hosts: localhost\n  gather_facts: false\n  roles:\n${roles.join('\n')}\n`);
  const run = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', 'site.yml'], {
    cwd: dir,
    env: { ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json' },
  });
  const out = JSON.parse(run.stdout) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: { localhost: { argument_errors?: string[] } } }> }> };
  const ansible: Record<string, string[] | 'not validated'> = {};
  for (const name of Object.keys(LOOKUP_ROLES)) ansible[name] = 'not validated';
  for (const task of out.plays[0].tasks) {
    const role = task.task.name.split(' : ')[0];
    if (task.task.name.includes('Validating arguments')) ansible[role] = task.hosts.localhost.argument_errors ?? [];
  }
  const ours: Record<string, string[] | 'not validated'> = {};
  for (const name of Object.keys(LOOKUP_ROLES)) {
    const specs = await loadRoleArgumentSpecs(join(dir, 'roles', name));
    ours[name] = specs && hasEntryPoint(specs, 'main') ? validateRoleArguments(specs, 'main', {}).errors : 'not validated';
  }
  assert.deepEqual(ours, ansible);
  assert.deepEqual(ansible.both_files, ['missing required arguments: from_specs_file'], 'the lookup must really distinguish the files');
});

test('a malformed spec file is an error value with file:line:column', async (t) => {
  const dir = await tempDir('tsplay-argspec-bad-', t);
  const cases: Array<[string, string, RegExp, number, number]> = [
    ['unknown_type', 'argument_specs:\n  main:\n    options:\n      port:\n        type: integer\n', /option 'port': unknown type 'integer'/u, 5, 15],
    ['elements_not_list', 'argument_specs:\n  main:\n    options:\n      names:\n        type: str\n        elements: str\n', /option 'names'.*'elements' is only supported with 'type: list'/u, 5, 15],
    ['elements_no_type', 'argument_specs:\n  main:\n    options:\n      names:\n        elements: str\n', /option 'names': 'elements' needs 'type: list'/u, 5, 9],
    ['choices_string', 'argument_specs:\n  main:\n    options:\n      mode:\n        choices: abc\n', /option 'mode': 'choices' must be a list/u, 5, 18],
    ['nested_bad_type', 'argument_specs:\n  main:\n    options:\n      d:\n        type: dict\n        options:\n          x:\n            type: nope\n', /option 'd.x': unknown type 'nope'/u, 8, 19],
    ['yaml_syntax', 'argument_specs:\n  main:\n    options: [unclosed\n', /YAML syntax error/u, 4, 1],
  ];
  for (const [name, text, message, line, col] of cases) {
    const roleDir = await writeRole(dir, name, { 'meta/argument_specs.yml': text });
    const specs = await loadRoleArgumentSpecs(roleDir);
    assert.ok(specs?.error, `${name}: expected a load error`);
    assert.equal(specs.error.file, join(roleDir, 'meta', 'argument_specs.yml'));
    assert.match(specs.error.message, message, name);
    assert.deepEqual([specs.error.line, specs.error.col], [line, col], `${name}: ${specs.error.toString()}`);
    // every call of such a role fails with that error, before anything runs
    assert.ok(hasEntryPoint(specs, 'main'));
    const outcome = validateRoleArguments(specs, 'main', {});
    assert.match(outcome.errors[0], new RegExp(`argument_specs.yml:${line}:${col}: `, 'u'));
  }
});

test('validate_argument_spec module returns what Ansible\'s action returns', { timeout: 120_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-argspec-action-', t);
  const taskArgs: Array<Record<string, unknown>> = [
    { argument_spec: { a: { type: 'int' } }, provided_arguments: { a: '5' } },
    { argument_spec: { a: { type: 'int', required: true }, b: { choices: ['x'] } }, provided_arguments: { b: 'y', c: 1 } },
    { argument_spec: { from_var: { type: 'int', required: true } }, provided_arguments: {} },
    { argument_spec: { a: {} }, provided_arguments: {}, validate_args_context: { type: 'role', name: 'r' } },
  ];
  const visible = { from_var: 'not-an-int' };
  const tasks = taskArgs.map((args, i) => `    - {name: t${i}, ignore_errors: true, validate_argument_spec: ${JSON.stringify(args)}}`);
  await writeFile(join(dir, 'site.yml'), `- hosts: localhost\n  gather_facts: false\n  vars: ${JSON.stringify(visible)}\n  tasks:\n${tasks.join('\n')}\n`);
  const run = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', 'site.yml'], { cwd: dir, env: { ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json' } });
  const out = JSON.parse(run.stdout) as { plays: Array<{ tasks: Array<{ hosts: { localhost: Record<string, unknown> } }> }> };
  const keys = ['argument_errors', 'argument_spec_data', 'changed', 'failed', 'msg', 'validate_args_context'];
  const pick = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
  taskArgs.forEach((args, i) => {
    const ansible = pick(out.plays[0].tasks[i].hosts.localhost);
    const ours = pick(runValidateArgumentSpec(args, visible));
    if (ansible.failed === undefined) ansible.failed = false;
    if (ours.failed === undefined) ours.failed = false;
    assert.deepEqual(ours, ansible, `task ${i}`);
  });
  assert.equal(modules[0].name, 'ansible.builtin.validate_argument_spec');
});

test('role helpers: entry point names, provided values, messages', async (t) => {
  assert.equal(roleEntryPoint(undefined), 'main');
  assert.equal(roleEntryPoint('sub/setup', 'include_role'), 'sub/setup');
  assert.equal(roleEntryPoint('sub/setup.yml', 'import_role'), 'setup.yml');
  const dir = await tempDir('tsplay-argspec-helpers-', t);
  const roleDir = await writeRole(dir, 'web', {
    'meta/argument_specs.yml':
      'argument_specs:\n  main:\n    short_description: Web server\n    options:\n      port: {type: int, required: true}\n      host: {aliases: [h]}\n',
  });
  const specs = await loadRoleArgumentSpecs(roleDir);
  assert.ok(specs && !specs.error);
  assert.equal(validationTaskName(specs, undefined), "Validating arguments against arg spec 'main' - Web server");
  // vars supply option names only (not aliases, not unrelated names); params override them
  const provided = providedArguments(specs, 'main', { port: '80' }, { port: 1, h: 'ignored', other: 2, host: 'from-vars' });
  assert.deepEqual(provided, { port: '80', host: 'from-vars' });
  const outcome = validateRoleArguments(specs, 'main', { port: 'http' });
  assert.equal(
    formatRoleValidationFailure(outcome, { role: 'web', entryPoint: 'main', file: 'site.yml', line: 4, col: 7 }),
    "site.yml:4:7: role 'web' (entry point 'main'): Validation of arguments failed:\nargument 'port' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to int: <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> cannot be converted to an int",
  );
  // coerced values and defaults are reported, never written back into the caller's data
  const params = { port: '80' };
  validateRoleArguments(specs, 'main', params);
  assert.deepEqual(params, { port: '80' });
});

test('validators are compiled once per spec', () => {
  const spec = { options: { a: { type: 'int' as const } } };
  assert.equal(compileArgSpec(spec, 'module'), compileArgSpec(spec, 'module'));
  assert.notEqual(compileArgSpec(spec, 'module'), compileArgSpec(spec, 'role'));
});

test('the editor schema of a role accepts what Ansible accepts and flags unknown names', async (t) => {
  const dir = await tempDir('tsplay-argspec-schema-', t);
  const roleDir = await writeRole(dir, 'mirror', {
    'meta/argument_specs.yml': [
      'argument_specs:',
      '  main:',
      '    short_description: Mirror',
      '    options:',
      '      target: {type: str, required: true, description: Base directory}',
      '      count: {type: int, default: 2}',
      '      enabled: {type: bool}',
      '      mode: {choices: [fast, slow]}',
      '      platforms:',
      '        type: list',
      '        elements: dict',
      '        options:',
      '          image: {type: str, required: true}',
      '',
    ].join('\n'),
  });
  const specs = await loadRoleArgumentSpecs(roleDir);
  assert.ok(specs && !specs.error);
  const schema = roleArgumentsJsonSchema(specs, 'main');
  const check = new Ajv2020({ strict: false }).compile(schema);
  const good = { role: 'mirror', target: '/srv', count: '3', enabled: 'yes', mode: 'fast', platforms: [{ image: 'debian' }] };
  assert.equal(check(good), true, JSON.stringify(check.errors));
  assert.equal(validateRoleArguments(specs, 'main', { target: '/srv', count: '3', enabled: 'yes', mode: 'fast', platforms: [{ image: 'debian' }] }).errors.length, 0);
  assert.equal(check({ target: '/srv', colour: 'red' }), false, 'an unknown parameter');
  assert.equal(check({ target: '/srv', mode: 'medium' }), false, 'a value outside choices');
  assert.equal(check({ target: '/srv', platforms: [{ name: 'x' }] }), false, 'a nested required option');
  assert.throws(() => roleArgumentsJsonSchema(specs, 'nope'), /no argument spec for entry point 'nope'/u);
});

test('entry points follow tasks_from as Ansible 2.14 does (include verbatim, import basename)', { timeout: 120_000 }, async (t) => {
  if (!requireService(t, 'ansible-playbook', ansibleAvailable(), 'apt-get install ansible')) return;
  const dir = await tempDir('tsplay-argspec-entry-', t);
  const spec = [
    'argument_specs:',
    '  main: {options: {m: {required: true}}}',
    '  alt: {options: {a: {required: true}}}',
    '  alt.yml: {options: {ay: {required: true}}}',
    '  sub/alt: {options: {s: {required: true}}}',
    '',
  ].join('\n');
  const roleDir = await writeRole(dir, 'ep', {
    'meta/argument_specs.yml': spec,
    'tasks/main.yml': '- debug: {msg: main}\n',
    'tasks/alt.yml': '- debug: {msg: alt}\n',
    'tasks/sub/alt.yml': '- debug: {msg: sub}\n',
  });
  const calls: Array<[string | undefined, 'include_role' | 'import_role']> = [
    [undefined, 'include_role'], ['alt', 'include_role'], ['alt.yml', 'include_role'], ['sub/alt', 'include_role'], ['sub/alt.yml', 'include_role'],
    ['sub/alt', 'import_role'], ['sub/alt.yml', 'import_role'],
  ];
  const tasks = calls.map(([from, how], i) => {
    const args = `{name: ep${from ? `, tasks_from: "${from}"` : ''}${how === 'include_role' ? ', apply: {ignore_errors: true}' : ''}}`;
    // a marker task before each call separates the calls in the output (import_role leaves no task of its own)
    return `    - {name: call${i}, debug: {msg: call${i}}}\n    - {${how}: ${args}, ignore_errors: true}`;
  });
  await writeFile(join(dir, 'site.yml'), `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`);
  const run = await runAnsiblePlaybook(['-i', 'localhost,', '-c', 'local', 'site.yml'], { cwd: dir, env: { ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json' } });
  const out = JSON.parse(run.stdout) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: { localhost: { argument_errors?: string[] } } }> }> };
  // in task order: each include is followed by its validation task (if any) and its debug task
  const ansible: string[] = [];
  let current: string | undefined;
  for (const task of out.plays[0].tasks) {
    if (/^call\d$/u.test(task.task.name)) {
      if (current !== undefined) ansible.push(current);
      current = 'not validated';
    } else if (task.task.name.includes('Validating arguments')) {
      current = (task.hosts.localhost.argument_errors ?? []).join('; ');
    }
  }
  if (current !== undefined) ansible.push(current);
  const specs = await loadRoleArgumentSpecs(roleDir);
  assert.ok(specs && !specs.error);
  const ours = calls.map(([from, how]) => {
    const entry = roleEntryPoint(from, how);
    return hasEntryPoint(specs, entry) ? validateRoleArguments(specs, entry, {}).errors.join('; ') : 'not validated';
  });
  assert.deepEqual(ours, ansible);
  assert.equal(new Set(ansible).size, 5, `the calls must reach different entry points: ${JSON.stringify(ansible)}`);
});
