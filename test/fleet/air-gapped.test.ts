/**
 * The job tsplay exists for, end to end on real hosts, all reached over SSH with their host keys
 * checked: playbooks/site.yaml builds the pip mirror on a mirror host (this machine's own sshd on
 * a loopback port, so its dockerd is reached through the SSH connection's forwarded socket, not
 * directly), playbooks/fleet.yaml serves it there and points 10 client container hosts' pip at it
 * with no other index, and every client installs the mirrored packages from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  baseImage,
  dockerAvailable,
  repoRoot,
  requireService,
  runCommand,
  runTsplay,
  startFixtureIndex,
  startSshHost,
  tempDir,
  freePort,
  type SshHost,
} from '../support/services.js';
import { sshdAvailable, startLocalSshd } from './local-sshd.js';

const CLIENTS = 10;
const PACKAGES = ['Hello_World', 'tsplay_fixture_lib == 1.0'];

test('the air-gapped fleet: mirror built over SSH on the mirror host, served there, 10 clients install from it alone', { timeout: 30 * 60_000 }, async (t) => {
  if (!requireService(t, 'dockerd', await dockerAvailable(), 'bash test/run.sh starts it')) return;
  if (!requireService(t, 'sshd', sshdAvailable(), 'apt-get install openssh-server')) return;
  // registered before the temp dir's own clean-up, so it still finds the server's pidfile: the
  // server outlives the play on purpose, and the test stops it
  let serverPidFile: string | undefined;
  t.after(async () => {
    const pid = serverPidFile ? await readFile(serverPidFile, 'utf8').catch(() => '') : '';
    if (/^\d+\s*$/.test(pid)) await runCommand('kill', [pid.trim()]);
  });
  const image = await baseImage('bookworm');
  const dir = await tempDir('tsplay-fleet-', t);
  const upstream = await startFixtureIndex(t);
  const mirrorHost = await startLocalSshd(t);
  const clients: SshHost[] = [];
  for (let i = 0; i < CLIENTS; i += 5) clients.push(...(await Promise.all(Array.from({ length: 5 }, () => startSshHost(image, t)))));

  // host keys are checked: every host's key is in a known_hosts file of the test's own
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, [mirrorHost.knownHostsLine, ...clients.flatMap((c) => c.hostKeys.map((k) => `[127.0.0.1]:${c.port} ${k}`))].join('\n') + '\n');
  const inventory = join(dir, 'inventory');
  await writeFile(
    inventory,
    [
      '[mirror]',
      mirrorHost.inventoryLine('mirror'),
      '[pip_clients]',
      ...clients.map((c, i) => `client${i} ansible_host=127.0.0.1 ansible_port=${c.port} ansible_user=root ansible_ssh_private_key_file=${c.key.privateKeyPath}`),
      '[all:vars]',
      `ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts}'`,
      '',
    ].join('\n'),
  );
  const mirrorBase = join(dir, 'mirror');
  const port = await freePort();
  const vars = join(dir, 'vars.json');
  await writeFile(
    vars,
    JSON.stringify({
      mirror_hosts: 'mirror',
      mirror_base_path: mirrorBase,
      docker_install_source: 'debian',
      network_mode: 'host',
      upstream_index_url: upstream.url,
      verify: true,
      prune: true,
      mirror_packages: PACKAGES,
      mirror_platforms: [{ image, name: 'debian-12', 'pre-command': 'export SOURCE_DATE_EPOCH=1700000000' }],
      mirror_port: port,
      mirror_bind: '127.0.0.1',
      mirror_platform: 'debian-12',
      client_packages: PACKAGES,
    }),
  );
  const env = { ANSIBLE_HOST_KEY_CHECKING: 'True', TSPLAY_SSH_STATS: '1' };
  serverPidFile = join(mirrorBase, 'pip', '.pip-mirrors-server.pid');

  const site = await runTsplay(['run', join(repoRoot(), 'playbooks', 'site.yaml'), '-i', inventory, '--tags', 'pip', '-e', `@${vars}`], { env, timeoutMs: 15 * 60_000 });
  assert.equal(site.code, 0, site.stdout + site.stderr);
  assert.match(site.stdout, /^mirror\s+:\s+ok=\d+\s+changed=[1-9]/m, 'the mirror was built on the mirror host');
  assert.match(site.stderr, /ssh statistics: \d+ round trips/, 'the mirror host was reached over SSH');
  const wheels = (await runCommand('ls', [join(mirrorBase, 'pip', 'debian-12')])).stdout;
  assert.match(wheels, /hello_world-1\.0-.*\.whl/i, wheels);

  const fleet = await runTsplay(['run', join(repoRoot(), 'playbooks', 'fleet.yaml'), '-i', inventory, '-f', String(CLIENTS), '-e', `@${vars}`], { env, timeoutMs: 15 * 60_000 });
  assert.equal(fleet.code, 0, fleet.stdout + fleet.stderr);
  for (let i = 0; i < CLIENTS; i++) assert.match(fleet.stdout, new RegExp(`^client${i}\\s+:\\s+ok=\\d+\\s+changed=[1-9]\\d*\\s+unreachable=0\\s+failed=0`, 'm'), fleet.stdout);

  // every client installed from the mirror, and only the mirror was configured as an index
  const served = await readFile(join(mirrorBase, 'pip', '.pip-mirrors-server.log'), 'utf8');
  for (const client of clients) {
    const conf = await runCommand('docker', ['exec', client.id, 'cat', '/etc/pip.conf']);
    assert.match(conf.stdout, new RegExp(`index-url = http://127\\.0\\.0\\.1:${port}/debian-12/simple/`), conf.stdout);
    assert.doesNotMatch(conf.stdout, /pypi\.org/, 'offline: no public index');
    const installed = await runCommand('docker', ['exec', client.id, 'sh', '-c', 'ls /opt/fleet-proof']);
    assert.match(installed.stdout, /hello_world/i, `client ${client.name}: ${installed.stdout}${installed.stderr}`);
    assert.match(installed.stdout, /tsplay_fixture_lib-1\.0\.dist-info/, installed.stdout);
  }
  assert.ok((served.match(/GET \/debian-12\/simple\/hello-world\//g) ?? []).length >= CLIENTS, `each client asked the mirror:\n${served.slice(-2000)}`);

  // the second run of both playbooks changes nothing (the server keeps running, the clients are set up)
  const again = await runTsplay(['run', join(repoRoot(), 'playbooks', 'fleet.yaml'), '-i', inventory, '-f', String(CLIENTS), '-e', `@${vars}`], { env, timeoutMs: 10 * 60_000 });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  for (const line of again.stdout.split('\n').filter((l) => /^(mirror|client\d+)\s+:/.test(l))) assert.match(line, /changed=0\s/, again.stdout);
});
