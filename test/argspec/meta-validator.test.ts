/**
 * The argument_specs meta-schema validator the engine uses is Ajv's standalone code, generated at
 * build time (scripts/meta-validator.mjs). Ajv compiling the same schema here, at test time, is
 * the reference: both must give the same verdict and the same first error on every spec file the
 * project knows, whole and broken in the ways users break them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { validate as generated } from '../../src/argspec/meta-validator.js';
import { repoRoot } from '../support/services.js';

const root = repoRoot();
const reference = new Ajv2020({ allErrors: false, strict: false, verbose: true }).compile(
  JSON.parse(readFileSync(join(root, 'schemas', 'argument_specs.schema.json'), 'utf8')) as Record<string, unknown>,
);

function specFiles(): string[] {
  const files = readdirSync(join(root, 'roles')).map((r) => join(root, 'roles', r, 'meta', 'argument_specs.yaml'));
  const realworld = join(root, 'test', 'argspec', 'realworld');
  for (const f of readdirSync(realworld)) if (/\.ya?ml$/.test(f)) files.push(join(realworld, f));
  return files;
}

/** the ways a user breaks a spec, applied to its first option */
const BREAKAGES: Array<[string, (opt: Record<string, unknown>) => void]> = [
  ['unknown type', (o) => (o.type = 'strng')],
  ['elements without list', (o) => ((o.type = 'str'), (o.elements = 'str'))],
  ['unknown elements', (o) => ((o.type = 'list'), (o.elements = 'thing'))],
  ['choices not a list', (o) => (o.choices = 'a,b')],
  ['options not a mapping', (o) => ((o.type = 'dict'), (o.options = ['x']))],
  ['required not a bool', (o) => (o.required = 'maybe')],
];

function firstError(errors: ErrorObject[] | null | undefined): unknown {
  const e = errors?.[0];
  return e ? { instancePath: e.instancePath, keyword: e.keyword, params: e.params, data: e.data } : null;
}

function same(label: string, data: unknown): boolean {
  const verdict = reference(data);
  assert.equal(generated(data), verdict, `${label}: verdict`);
  assert.deepEqual(firstError(generated.errors), firstError(reference.errors), `${label}: first error`);
  return verdict;
}

test('the build-time validator gives Ajv\'s verdict and first error on every spec file, whole and broken', () => {
  let files = 0;
  let rejected = 0;
  for (const file of specFiles()) {
    const doc = parse(readFileSync(file, 'utf8')) as { argument_specs?: Record<string, { options?: Record<string, Record<string, unknown>> }> };
    if (!doc?.argument_specs) continue;
    files++;
    assert.ok(same(file, { argument_specs: doc.argument_specs }), `${file} is a valid spec`);
    const [entry] = Object.keys(doc.argument_specs);
    const options = doc.argument_specs[entry]?.options;
    const [option] = Object.keys(options ?? {});
    if (!option) continue;
    for (const [how, breakIt] of BREAKAGES) {
      const broken = structuredClone(doc.argument_specs);
      breakIt(broken[entry]!.options![option]!);
      if (!same(`${file} (${how})`, { argument_specs: broken })) rejected++;
    }
  }
  assert.ok(files >= 15, `spec files read: ${files}`);
  assert.ok(rejected >= files * 4, `broken specs rejected: ${rejected}`);
});

test('the engine bundle carries no Ajv: the meta-schema is not compiled at run time', () => {
  const bundle = readFileSync(join(root, 'dist', 'bundle', 'tsplay.cjs'), 'utf8');
  assert.doesNotMatch(bundle, /node_modules\/ajv\//, 'an Ajv module is bundled');
  assert.doesNotMatch(bundle, /\bnew Ajv2020\b|\.compile\(loadMetaSchema/, 'Ajv is instantiated by the engine');
});
