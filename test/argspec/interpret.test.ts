/**
 * The engine validates arguments with interpret.ts, a walker over the schemas compile.ts makes;
 * Ajv runs the same schemas here as the reference. Both must give the same errors (keyword,
 * data path, params, message, in the same order) and the same Ansible lines from them, leave the
 * parameters in the same state, record the same warnings, and crash on the same inputs, for
 * every case of the Ansible parity table, every real-world spec and every module tsplay ships.
 * (Schema paths are compared only through the lines: errors.ts groups `required` errors by
 * them, and Ajv spells them differently inside a $ref it inlines.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { argSpecToJsonSchema, type ValidationMode } from '../../src/argspec/compile.js';
import { ajvValidator } from '../../src/argspec/ajv-reference.js';
import { ansibleErrorLines } from '../../src/argspec/errors.js';
import { interpretSchema } from '../../src/argspec/interpret.js';
import { ValidationCrash, type RunContext } from '../../src/argspec/keywords.js';
import { deepCopy } from '../../src/argspec/python.js';
import type { EntryPointSpec } from '../../src/argspec/types.js';
import type { InterpretedValidator } from '../../src/argspec/interpret.js';
import { moduleNames, findModule } from '../../src/modules/registry.js';
import { moduleOnlyCases, parityCases } from './cases.js';
import { realworldCases } from './realworld.js';

interface Run {
  crash?: string;
  errors: Array<Record<string, unknown>> | null;
  lines: string[];
  params: unknown;
  warnings: string[];
  deprecations: string[];
  noLog: string[];
}

function runOne(validate: InterpretedValidator, params: Record<string, unknown>, strClass: RunContext['strClass']): Run {
  const ctx: RunContext = { strClass, warnings: [], deprecations: [] };
  const data = deepCopy(params);
  let errors: Run['errors'] = null;
  let lines: string[] = [];
  let crash: string | undefined;
  try {
    const found = validate(ctx, data);
    errors = found && found.map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, params: e.params, message: e.message }));
    lines = ansibleErrorLines(found).lines;
  } catch (e) {
    if (!(e instanceof ValidationCrash)) throw e;
    crash = e.message;
  }
  return { crash, errors, lines, params: data, warnings: ctx.warnings, deprecations: ctx.deprecations, noLog: [...(ctx.noLogValues ?? [])] };
}

interface Probe {
  id: string;
  spec: EntryPointSpec;
  params: Record<string, unknown>;
}

function probes(): Probe[] {
  const out: Probe[] = [];
  for (const c of [...parityCases, ...moduleOnlyCases, ...realworldCases()]) {
    let spec: EntryPointSpec | undefined;
    if (c.specText !== undefined) {
      const doc = parse(c.specText, { version: '1.1' }) as { argument_specs?: { main?: EntryPointSpec } } | null;
      spec = doc?.argument_specs?.main;
    } else if (c.entry && typeof c.entry === 'object') spec = c.entry as EntryPointSpec;
    else if (c.spec) spec = { options: c.spec as EntryPointSpec['options'] };
    if (spec) out.push({ id: c.id, spec, params: c.params ?? {} });
  }
  // every shipped module: no arguments, then one of each wrong kind for every option
  for (const name of moduleNames()) {
    const def = findModule(name);
    if (!def?.spec || !name.includes('.')) continue;
    const names = Object.keys(def.spec.options ?? {});
    out.push({ id: `${name}__none`, spec: def.spec, params: {} });
    out.push({ id: `${name}__lists`, spec: def.spec, params: Object.fromEntries(names.map((n) => [n, ['x', 1]])) });
    out.push({ id: `${name}__strings`, spec: def.spec, params: { ...Object.fromEntries(names.map((n) => [n, 'yes'])), zz_unknown: 1 } });
  }
  return out;
}

test('interpreter and Ajv agree on every parity, real-world and module case', () => {
  const all = probes();
  assert.ok(all.length > 300, `only ${all.length} probes`);
  let compared = 0;
  let failing = 0;
  for (const probe of all) {
    for (const mode of ['module', 'role'] as ValidationMode[]) {
      const schema = argSpecToJsonSchema(probe.spec, mode);
      const ours = runOne(interpretSchema(schema), probe.params, mode === 'role' ? 'AnsibleUnicode' : 'str');
      const reference = runOne(ajvValidator(schema), probe.params, mode === 'role' ? 'AnsibleUnicode' : 'str');
      assert.deepStrictEqual(ours, reference, `${probe.id} (${mode})`);
      compared++;
      if (reference.errors || reference.crash) failing++;
    }
  }
  // the corpus must exercise failures, not only passes
  assert.ok(failing > 200, `only ${failing} of ${compared} runs reported errors`);
});

test('the interpreter refuses a keyword outside its subset when the schema is compiled', () => {
  assert.throws(() => interpretSchema({ type: 'object', allOf: [{ minProperties: 1 }] }), /keyword 'minProperties' at #\/allOf\/0 is not supported/);
  assert.throws(() => interpretSchema({ $ref: 'http://example.com/s' }), /\$ref 'http:\/\/example.com\/s' is not supported/);
});
