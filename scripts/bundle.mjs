// Part of `npm run build`, after tsc: bundles the compiled engine (dist/src) into one file,
// dist/bundle/tsplay.cjs, which dist/src/cli/tsplay.cjs (the `tsplay` executable) loads through
// V8's code cache; then a warm-up run makes that cache, so the first real run starts warm.
//
// Loading ~150 ES modules and the CommonJS packages behind them was most of tsplay's start-up;
// one CommonJS file compiles once and caches as one piece.
// Left outside the bundle: packages with native add-ons (ssh2, cpu-features) and dockerode, all
// loaded only when a Docker or SSH connection is opened.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(repo, 'dist', 'bundle', 'tsplay.cjs');

await build({
  entryPoints: [join(repo, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['ssh2', 'cpu-features', 'dockerode'],
  // import() of those becomes require(): code run through vm.Script has no ES module loader
  supported: { 'dynamic-import': false },
  // tsc's maps are followed, so TSPLAY_DEBUG stack traces name the TypeScript sources
  sourcemap: true,
  // import.meta.url only serves to find files shipped beside the code (schemas/)
  define: { 'import.meta.url': '__tsplay_bundle_url' },
  // the banner comes before esbuild's own "use strict", which then no longer counts: it says it first
  banner: { js: "'use strict';\nconst __tsplay_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// The executable's first lines, which tsc cannot write: /bin/sh runs the file first and starts
// Node on it without NODE_EXTRA_CA_CERTS (see src/util/extra-ca.ts); to JavaScript the second line
// is a directive and a comment. Any POSIX sh will do, unlike `env -S` on a #! line.
const SH_HEADER =
  "#!/bin/sh\n':' //; if [ -n \"${NODE_EXTRA_CA_CERTS-}\" ]; then export TSPLAY_EXTRA_CA_CERTS=\"$NODE_EXTRA_CA_CERTS\"; unset NODE_EXTRA_CA_CERTS; fi; exec node \"$0\" \"$@\"\n";
const launcher = join(repo, 'dist', 'src', 'cli', 'tsplay.cjs');
const compiled = readFileSync(launcher, 'utf8');
if (!compiled.startsWith(SH_HEADER)) writeFileSync(launcher, SH_HEADER + compiled.replace(/^#!.*\n/, ''));
// tsc writes the executable without its x bit; npm sets it on install, the build sets it here
chmodSync(launcher, 0o755);

// The warm-up: a small playbook through the common modules, so the cache holds what a real
// run compiles, not only the start-up path.
rmSync(`${outfile}.v8cache`, { force: true });
const work = mkdtempSync(join(tmpdir(), 'tsplay-warmup-'));
const playbook = join(work, 'warmup.yml');
writeFileSync(
  join(work, 'template.j2'),
  '{% for n in items %}{{ n | upper }}{% if not loop.last %},{% endif %}{% endfor %}\n',
);
writeFileSync(
  playbook,
  `- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    out: "${join(work, 'out')}"
    items: [a, b]
  tasks:
    - file: {path: "{{ out }}", state: directory, mode: "0755"}
    - copy: {content: "x {{ items | join(',') }}\\n", dest: "{{ out }}/c.txt", mode: "0644"}
    - template: {src: template.j2, dest: "{{ out }}/t.txt"}
    - lineinfile: {path: "{{ out }}/c.txt", line: "y"}
    - stat: {path: "{{ out }}/c.txt"}
      register: st
    - command: /bin/true
      changed_when: false
    - shell: "echo {{ st.stat.size }}"
      register: sh
    - set_fact: {n: "{{ sh.stdout | int + 1 }}"}
    - assert: {that: [n | int > 0]}
    - debug: {msg: "{{ item }}"}
      loop: "{{ items }}"
`,
);
const warm = spawnSync(launcher, ['run', playbook], {
  encoding: 'utf8',
  env: { ...process.env, TSPLAY_PLAIN: '1' },
});
rmSync(work, { recursive: true, force: true });
if (warm.status !== 0) {
  process.stderr.write(`bundle: the warm-up run failed (exit ${warm.status}):\n${warm.stdout}${warm.stderr}`);
  process.exit(1);
}
