import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { argSpecToJsonSchema } from '../../src/argspec/index.js';
import { findModule, moduleNames } from '../../src/modules/registry.js';

// The runtime Ajv skips meta-schema validation for speed; this is where it is checked instead.
test("every module's generated argument schema is a valid JSON Schema (draft 2020-12)", () => {
  const ajv = new Ajv2020({ strict: false });
  const seen = new Set<string>();
  for (const name of moduleNames()) {
    const mod = findModule(name)!;
    if (seen.has(mod.name)) continue;
    seen.add(mod.name);
    for (const mode of ['module', 'role'] as const) {
      const schema = argSpecToJsonSchema(mod.spec, mode);
      const ok = ajv.validateSchema(schema);
      assert.ok(ok, `${mod.name} (${mode}): ${ajv.errorsText(ajv.errors)}`);
    }
  }
  for (const fqcn of ['ansible.builtin.file', 'ansible.builtin.copy', 'ansible.builtin.command', 'ansible.builtin.apt', 'community.docker.docker_container', 'ansible.builtin.validate_argument_spec']) {
    assert.ok(seen.has(fqcn), `${fqcn} is not registered`);
  }
});
