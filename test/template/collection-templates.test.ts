import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Templar, TemplateError } from '../../src/template/index.js';
import { corpusDir } from './parity-lib.js';
import { ansibleAvailable, requireService } from '../support/services.js';

/**
 * Real-world syntax: every .j2 template shipped with ansible-core and its collections that Jinja
 * parses (recorded by corpus/generate_expected.py) must compile in tsplay as well.
 */
test('tsplay compiles every template Jinja compiles among ansible-core and collection .j2 files', (t) => {
  const recorded = JSON.parse(fs.readFileSync(path.join(corpusDir(), 'collection-templates.json'), 'utf8')) as Record<string, string>;
  const present = Object.entries(recorded).filter(([p]) => fs.existsSync(p));
  if (!requireService(t, 'ansible collections', ansibleAvailable() && present.length > 0, 'install ansible (Debian package) for its collections')) return;
  const templar = new Templar();
  const mismatches: string[] = [];
  for (const [file, jinja] of present) {
    let ours = 'ok';
    try {
      templar.compile(fs.readFileSync(file, 'utf8'), { playbook: false, trimBlocks: true, lstripBlocks: false });
    } catch (e) {
      ours = `error: ${e instanceof TemplateError || e instanceof Error ? e.message : String(e)}`;
    }
    if ((ours === 'ok') !== (jinja === 'ok')) mismatches.push(`${file}\n  jinja: ${jinja}\n  tsplay: ${ours}`);
  }
  assert.ok(present.length >= 100, `only ${present.length} templates found`);
  assert.deepEqual(mismatches, []);
});
