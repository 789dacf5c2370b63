/**
 * The packaging modules' pure helpers, each checked against the real tool whose behaviour it
 * reproduces: Debian version order against `dpkg --compare-versions`, word splitting against
 * Python's shlex, and apt_repository's file naming against Ansible's own module (check mode on
 * localhost, which changes nothing).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compareDebianVersions } from '../../src/modules/packaging/debversion.js';
import { shlexSplit } from '../../src/util/shlex.js';
import { expandSourcesPath, normaliseRepo, suggestFilename } from '../../src/modules/packaging/sources-list.js';
import { parseAptDiff } from '../../src/modules/packaging/apt.js';
import { fnmatch, splitPackageSpec } from '../../src/modules/packaging/apt-status.js';
import { ansibleAvailable, findOnPath, requireService } from '../support/services.js';

const VERSION_PAIRS: Array<[string, string]> = [
  ['1.0', '1.0'],
  ['1.0', '1.0-1'],
  ['1.0~rc1', '1.0'],
  ['1.0~rc1', '1.0~'],
  ['1.0+dfsg1-1', '1.0-1'],
  ['1:0.9', '2.0'],
  ['2.10-3', '2.10-3+b1'],
  ['20.10.24+dfsg1-1+deb12u1+b6', '20.10.24+dfsg1-1+deb12u1'],
  ['1.2a', '1.2+'],
  ['1.002', '1.2'],
  ['5.02-1+b1', '5.2-1'],
  ['0:1.0', '1.0'],
  ['1.0-1~bpo12+1', '1.0-1'],
  ['a', '+'],
  ['1.0.', '1.0'],
];

describe('packaging helpers agree with the real tools', () => {
  it('orders Debian versions as dpkg does', (t) => {
    if (!requireService(t, 'dpkg', findOnPath('dpkg') !== undefined, 'a Debian host')) return;
    for (const [a, b] of VERSION_PAIRS) {
      for (const [x, y] of [[a, b], [b, a]]) {
        const expected = spawnSync('dpkg', ['--compare-versions', x, 'lt', y]).status === 0 ? -1
          : spawnSync('dpkg', ['--compare-versions', x, 'eq', y]).status === 0 ? 0 : 1;
        assert.equal(Math.sign(compareDebianVersions(x, y)), expected, `${x} vs ${y}`);
      }
    }
  });

  it('splits words as Python shlex.split does', (t) => {
    if (!requireService(t, 'python3', findOnPath('python3') !== undefined, 'python3')) return;
    const lines = [
      `/usr/bin/apt-get -y -o "Dpkg::Options::=--force-confdef" -o "Dpkg::Options::=--force-confold"       install 'hello=2.10-3' 'sl'`,
      `a\\ b "c \\"d\\" e" 'f\\g' h""i`,
      `  -t 'bookworm-backports' -o APT::Install-Recommends=no  `,
    ];
    for (const line of lines) {
      const py = spawnSync('python3', ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', line], { encoding: 'utf8' });
      assert.deepEqual(shlexSplit(line), JSON.parse(py.stdout), line);
    }
  });

  it("names sources files as Ansible's apt_repository does", async (t) => {
    if (!requireService(t, 'ansible', ansibleAvailable(), 'install ansible')) return;
    const repos = [
      'deb [signed-by=/x.gpg arch=amd64] http://user:pw@mirror.example.org:8080/deb-ian/ bookworm main',
      'deb https://download.docker.com/linux/debian bookworm stable',
      'deb-src   http://deb.debian.org/debian   bookworm   main  # sources',
    ];
    for (const repo of repos) {
      const run = spawnSync('ansible', ['localhost', '-c', 'local', '-m', 'apt_repository', '-a', JSON.stringify({ repo, update_cache: false }), '--check', '--diff'], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
      });
      const parsed = JSON.parse(run.stdout) as { plays: Array<{ tasks: Array<{ hosts: Record<string, { diff?: Array<{ after_header: string }>; changed: boolean }> }> }> };
      const result = Object.values(parsed.plays[0].tasks[0].hosts)[0];
      const source = normaliseRepo(repo);
      const ours = expandSourcesPath(suggestFilename(source));
      // none of these lines is in this machine's one-line sources, so Ansible adds each
      assert.equal(result.changed, true, `${repo}: ${run.stdout}`);
      assert.ok(result.diff?.some((d) => d.after_header === ours), `${repo}: ${JSON.stringify(result.diff)} has ${ours}`);
    }
    assert.equal(expandSourcesPath(suggestFilename('deb http://x/y z', 'docker')), '/etc/apt/sources.list.d/docker.list');
    assert.equal(expandSourcesPath(suggestFilename('deb http://x/y z', '/opt/lists/mine')), '/opt/lists/mine.list');
  });

  it("takes the diff from apt-get's output as Ansible's parse_diff does", () => {
    const out = 'Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  hello\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nInst hello (2.10-3 Debian:12.15/oldstable [amd64])\n';
    assert.deepEqual(parseAptDiff(out), { prepared: 'The following NEW packages will be installed:\n  hello\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.' });
    assert.deepEqual(splitPackageSpec('foo>=1.0'), { name: 'foo', cmp: '>=', version: '1.0' });
    assert.deepEqual(splitPackageSpec('foo=1:2.0-1'), { name: 'foo', cmp: '=', version: '1:2.0-1' });
    assert.equal(fnmatch('2.10-3', '2.10-*'), true);
    assert.equal(fnmatch('2.10-3', '2.1?-[!4]'), true);
    assert.equal(fnmatch('2.10-3', '2.9*'), false);
  });
});
