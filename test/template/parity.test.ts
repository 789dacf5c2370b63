import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCorpus, acceptedDifferences } from './parity-lib.js';

test('every corpus case renders exactly as Ansible 2.14 rendered it (apart from documented accepted differences)', () => {
  const outcomes = runCorpus();
  assert.ok(outcomes.length >= 400, `corpus has ${outcomes.length} cases`);
  const accepted = acceptedDifferences();
  const unexpected = outcomes.filter((o) => !o.pass && !accepted.has(`${o.c.group}\t${o.c.t}`));
  const report = unexpected.map((o) => `[${o.c.group}] ${JSON.stringify(o.c.t)}\n  want ${o.want}\n  got  ${o.got}`).join('\n');
  assert.equal(unexpected.length, 0, `${unexpected.length} cases differ from Ansible:\n${report}`);
});

test('accepted differences are still differences (the list does not hide fixed cases)', () => {
  const outcomes = runCorpus();
  const accepted = acceptedDifferences();
  const stale = outcomes.filter((o) => o.pass && accepted.has(`${o.c.group}\t${o.c.t}`)).map((o) => o.c.t);
  assert.deepEqual(stale, []);
});
