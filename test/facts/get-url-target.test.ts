/**
 * get_url downloads on the target: the task's `environment:` proxy is used there (and bypassed
 * with use_proxy: false), as with ansible-playbook on the same kind of host; a target with none of
 * curl, wget or python3 gets a clear error.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import {
  ansibleAvailable,
  baseImage,
  dockerAvailable,
  requireService,
  runAnsiblePlaybook,
  runCommand,
  runTsplay,
  startContainerHost,
  tempDir,
} from '../support/services.js';

async function serve(t: TestContext, answer: (req: http.IncomingMessage) => string): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const body = answer(req);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

const haveDocker = await dockerAvailable();
const haveAnsible = ansibleAvailable();

test('get_url downloads on the target with the task environment, as Ansible does', { timeout: 600_000 }, async (t) => {
  if (!requireService(t, 'dockerd and ansible', haveDocker && haveAnsible, 'run bash test/run.sh, which starts dockerd')) return;
  const origin = await serve(t, () => 'from origin\n');
  const proxy = await serve(t, () => 'through the proxy\n');
  const url = `http://127.0.0.1:${origin.port}/file.txt`;
  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  const play = `- hosts: all
  gather_facts: false
  tasks:
    - get_url: { url: "${url}", dest: /tmp/direct.txt }
    - get_url: { url: "${url}", dest: /tmp/proxied.txt }
      environment: { http_proxy: "${proxyUrl}" }
    - get_url: { url: "${url}", dest: /tmp/bypassed.txt, use_proxy: false }
      environment: { http_proxy: "${proxyUrl}" }
    - get_url: { url: "${url}", dest: /tmp/none.txt }
      environment: { PATH: /nowhere }
      register: nohttp
      ignore_errors: true
      when: tool == 'tsplay'
    - copy: { dest: "{{ out }}", content: "{{ nohttp | to_json }}" }
      delegate_to: localhost
`;
  const dir = await tempDir('tsplay-get-url-target-', t);
  await writeFile(join(dir, 'play.yml'), play);
  const outcome = async (tool: 'ansible' | 'tsplay') => {
    const host = await startContainerHost(await baseImage('bookworm'), t);
    const inv = join(dir, `${tool}.ini`);
    const out = join(dir, `${tool}.json`);
    await writeFile(inv, `${host.name} ansible_connection=community.docker.docker_api ansible_python_interpreter=/usr/bin/python3 tool=${tool} out=${out}\n`);
    const res = tool === 'ansible'
      ? await runAnsiblePlaybook(['-i', inv, join(dir, 'play.yml')], { cwd: dir, timeoutMs: 300_000 })
      : await runTsplay(['run', '-i', inv, join(dir, 'play.yml')], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(res.code, 0, `${tool}: ${res.stdout}${res.stderr}`);
    const files = await runCommand('docker', ['exec', host.id, 'sh', '-c', 'for f in direct proxied bypassed; do printf "%s: " $f; cat /tmp/$f.txt; done']);
    return { files: files.stdout, none: JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown> };
  };
  const theirs = await outcome('ansible');
  const ours = await outcome('tsplay');
  assert.equal(ours.files, theirs.files);
  assert.equal(ours.files, 'direct: from origin\nproxied: through the proxy\nbypassed: from origin\n');
  assert.equal(proxy.seen.filter((u) => u === url).length, 2, 'each tool asked the proxy for the absolute URL once');
  assert.equal(ours.none.failed, true);
  assert.match(String(ours.none.msg), /none of curl, wget or python3.*tsplay_get_url_on: controller/);
});
