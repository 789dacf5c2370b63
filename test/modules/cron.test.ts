import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cronModule } from '../../src/modules/system/cron.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

/** backup files get random names on each host */
function masked(results: Record<string, ModuleResult>): Record<string, ModuleResult> {
  return JSON.parse(JSON.stringify(results).replace(/\/tmp\/crontab[A-Za-z0-9_]{8}/g, '/tmp/crontab<random>')) as Record<string, ModuleResult>;
}

describe('cron: same results as Ansible on twin containers', { timeout: 1_800_000 }, () => {
  const twins = twinHosts('tsplay-mod-cron', async (host) => {
    // the base image has no cron; a job line written by hand is adopted by name later
    const res = await host.conn.exec(
      'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cron >/dev/null && useradd -m alice && ' +
        "printf 'MAILTO=\"\"\\n* * * * * /bin/seeded\\n' | crontab - && printf 'FOO=1' > /etc/cron.d/nonl",
    );
    if (res.rc !== 0) throw new Error(`preparing ${host.name}: ${res.stderr}`);
  });

  it('jobs, variables, cron files, check mode, idempotence and refusals', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'jobCheck', module: 'cron', args: { name: 'backup', minute: '0', hour: '2', job: '/usr/bin/backup.sh' }, check: true },
      { name: 'job', module: 'cron', args: { name: 'backup', minute: '0', hour: '2', job: '/usr/bin/backup.sh', backup: true } },
      { name: 'jobAgain', module: 'cron', args: { name: 'backup', minute: '0', hour: '2', job: '/usr/bin/backup.sh' } },
      { name: 'jobChange', module: 'cron', args: { name: 'backup', minute: '0', hour: '3', job: '/usr/bin/backup.sh\n' } },
      { name: 'adopt', module: 'cron', args: { name: 'seeded', job: '/bin/seeded' } },
      { name: 'env', module: 'cron', args: { name: 'PATH', env: true, job: '/usr/bin:/bin' } },
      { name: 'envAfter', module: 'cron', args: { name: 'SHELL', env: true, job: '/bin/sh', insertafter: 'PATH' } },
      { name: 'envMissing', module: 'cron', args: { name: 'X', env: true, job: '1', insertbefore: 'NOPE' } },
      { name: 'userJob', module: 'cron', args: { name: 'hello', user: 'alice', special_time: 'reboot', job: 'echo hi' } },
      { name: 'disable', module: 'cron', args: { name: 'hello', user: 'alice', special_time: 'reboot', job: 'echo hi', disabled: true } },
      { name: 'file', module: 'cron', args: { name: 'f1', cron_file: 'tsplay-test', user: 'root', job: 'true', weekday: '1-5' } },
      { name: 'fileBadName', module: 'cron', args: { name: 'f2', cron_file: '/etc/cron.d/bad.name', user: 'root', job: 'true' } },
      { name: 'nonl', module: 'cron', args: { name: 'FOO', env: true, job: '1', cron_file: 'nonl', user: 'root' } },
      { name: 'fileGoneCheck', module: 'cron', args: { name: 'f1', cron_file: 'tsplay-test', state: 'absent' }, check: true },
      { name: 'fileGone', module: 'cron', args: { name: 'f1', cron_file: 'tsplay-test', state: 'absent' } },
      { name: 'userAbsent', module: 'cron', args: { name: 'hello', user: 'alice', state: 'absent' } },
      { name: 'envAbsent', module: 'cron', args: { name: 'SHELL', env: true, state: 'absent' } },
      { name: 'special', module: 'cron', args: { name: 'x', special_time: 'daily', minute: '5', job: 'true' } },
      { name: 'noUser', module: 'cron', args: { name: 'x', cron_file: 'x', job: 'true' } },
      { name: 'etcCrontab', module: 'cron', args: { name: 'x', cron_file: '/etc/crontab', user: 'root', job: 'true' } },
      { name: 'noJob', module: 'cron', args: { name: 'x' } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { cron: cronModule })]);
    assert.deepEqual([actual.job.changed, actual.jobAgain.changed, actual.fileGone.changed], [true, false, true]);
    assertSameResults(masked(actual), masked(expected));
    const show = 'crontab -l; crontab -u alice -l; ls /etc/cron.d; for f in /etc/cron.d/*; do stat -c "%n %a %U" $f; cat $f; done';
    const [ours, theirs] = await Promise.all([twins.tsplay.conn.exec(show), twins.ansible.conn.exec(show)]);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.stderr, theirs.stderr);
  });
});
