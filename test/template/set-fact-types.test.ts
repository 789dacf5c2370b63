import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Templar } from '../../src/template/index.js';
import { ansibleAvailable, requireService } from '../support/services.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const playbook = [path.resolve(here, 'fixtures/set_fact_types.yml'), path.resolve(here, '../../../test/template/fixtures/set_fact_types.yml')].find((p) => fs.existsSync(p))!;

test('set_fact values get the same types as in ansible-playbook (printed with type_debug), and `vars` gives raw values', (t) => {
  if (!requireService(t, 'ansible', ansibleAvailable(), 'install ansible-core (Debian package ansible-core)')) return;
  const run = spawnSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', playbook], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_STDOUT_CALLBACK: 'json' } });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { plays: { tasks: { hosts: Record<string, { msg?: string }> }[] }[] };
  const ansibleMsg = report.plays[0].tasks[1].hosts.localhost.msg;
  const ansibleVarsMsg = report.plays[0].tasks[2].hosts.localhost.msg;

  // the same play through tsplay's Templar: template the set_fact args, then the debug message
  const play = parse(fs.readFileSync(playbook, 'utf8'))[0] as { vars: Record<string, unknown>; tasks: Record<string, Record<string, unknown>>[] };
  const templar = new Templar();
  const playVars = Object.assign(Object.create(null) as Record<string, unknown>, play.vars);
  const facts = templar.template(play.tasks[0].set_fact, playVars) as Record<string, unknown>;
  const hostVars = Object.assign(Object.create(playVars) as Record<string, unknown>, facts);
  const ours = templar.template(play.tasks[1].debug.msg, hostVars);
  assert.equal(ours, ansibleMsg);
  assert.equal(templar.template(play.tasks[2].debug.msg, hostVars), ansibleVarsMsg);
});
