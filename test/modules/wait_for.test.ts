import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { waitForModule } from '../../src/modules/net/wait_for.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { freePort } from '../support/services.js';
import { twinHosts, runAnsibleOn, runTsplayOn } from './containers.js';
import { assertSameResults } from './compare.js';
import type { Case } from './helpers.js';

/**
 * `elapsed` is wall-clock seconds, and every try is a command run in the container, whose cost
 * swings with the machine's load: compared as a number no smaller than the timeout it reports.
 */
function alignElapsed(actual: Record<string, ModuleResult>, expected: Record<string, ModuleResult>, cases: Case[]): void {
  for (const c of cases) {
    const [r, e] = [actual[c.name], expected[c.name]];
    if (typeof r?.elapsed !== 'number' || typeof e?.elapsed !== 'number') continue;
    const floor = r.failed ? Number(c.args.timeout ?? 0) : 0;
    assert.ok(r.elapsed >= floor && e.elapsed >= floor, `${c.name}: elapsed ${r.elapsed} (ansible ${e.elapsed}) below ${floor}`);
    r.elapsed = e.elapsed = 0;
  }
}

describe('wait_for: same results as Ansible, checked from twin containers', { timeout: 1_200_000 }, () => {
  // the containers share the host network: a server here listens on their 127.0.0.1 too
  const servers: Server[] = [];
  let bannerPort = 0;
  let silentPort = 0;
  let closedPort = 0;
  before(async () => {
    const listen = async (onConnect: (s: import('node:net').Socket) => void) => {
      const server = createServer(onConnect);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as { port: number }).port;
    };
    bannerPort = await listen((s) => {
      s.on('error', () => undefined);
      s.write('SSH-2.0-Fake_1.2\r\n');
    });
    silentPort = await listen((s) => {
      s.on('error', () => undefined);
      setTimeout(() => s.destroy(), 10_000).unref();
    });
    closedPort = await freePort();
  });
  after(() => {
    for (const s of servers) s.close();
  });
  const twins = twinHosts('tsplay-mod-wait-for', async (host) => {
    await host.conn.writeFile('/tmp/ready', 'service started\nversion=4.2 build 17\n');
  });

  it('ports, files, regexes, timeouts, drained, argument errors', async (t) => {
    if (!twins.ready(t)) return;
    const cases: Case[] = [
      { name: 'fileThere', module: 'wait_for', args: { path: '/tmp/ready' } },
      { name: 'fileRegex', module: 'wait_for', args: { path: '/tmp/ready', search_regex: 'version=(?P<major>\\d+)\\.(\\d+)' } },
      { name: 'fileRegexLine', module: 'wait_for', args: { path: '/tmp/ready', search_regex: '^service \\w+$' } },
      { name: 'fileMissingTimeout', module: 'wait_for', args: { path: '/tmp/never', timeout: 2 } },
      { name: 'fileRegexTimeout', module: 'wait_for', args: { path: '/tmp/ready', search_regex: 'nope', timeout: 1 } },
      { name: 'fileAbsent', module: 'wait_for', args: { path: '/tmp/never', state: 'absent' } },
      { name: 'fileAbsentTimeout', module: 'wait_for', args: { path: '/tmp/ready', state: 'absent', timeout: 1, msg: 'still there' } },
      { name: 'portOpen', module: 'wait_for', args: { port: bannerPort } },
      { name: 'portHost', module: 'wait_for', args: { host: 'localhost', port: bannerPort, delay: 1 } },
      { name: 'portBanner', module: 'wait_for', args: { port: bannerPort, search_regex: 'SSH-2\\.0-(\\w+)' } },
      { name: 'portBannerTimeout', module: 'wait_for', args: { port: silentPort, search_regex: 'SSH', timeout: 3 } },
      { name: 'portClosedTimeout', module: 'wait_for', args: { port: closedPort, timeout: 2, connect_timeout: 1 } },
      { name: 'portStopped', module: 'wait_for', args: { port: closedPort, state: 'stopped' } },
      { name: 'portStoppedTimeout', module: 'wait_for', args: { port: bannerPort, state: 'stopped', timeout: 1 } },
      { name: 'drained', module: 'wait_for', args: { port: closedPort, state: 'drained', exclude_hosts: ['10.0.0.1'] } },
      { name: 'sleepOnly', module: 'wait_for', args: { timeout: 1 } },
      { name: 'portAndPath', module: 'wait_for', args: { port: bannerPort, path: '/tmp/ready' } },
      { name: 'pathStopped', module: 'wait_for', args: { path: '/tmp/ready', state: 'stopped' } },
      { name: 'pathDrained', module: 'wait_for', args: { path: '/tmp/ready', state: 'drained' } },
      { name: 'excludeNotDrained', module: 'wait_for', args: { port: bannerPort, exclude_hosts: ['127.0.0.2'] } },
      { name: 'badConnState', module: 'wait_for', args: { port: bannerPort, state: 'drained', active_connection_states: ['LISTEN'] } },
    ];
    const [expected, actual] = await Promise.all([runAnsibleOn(twins.ansible.name, cases), runTsplayOn(twins.tsplay.conn, cases, { wait_for: waitForModule })]);
    alignElapsed(actual, expected, cases);
    assert.deepEqual(actual.fileRegex.match_groupdict, { major: '4' });
    assert.equal(actual.portClosedTimeout.failed, true);
    assertSameResults(actual, expected);
  });
});
