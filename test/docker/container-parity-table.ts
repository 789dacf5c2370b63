/**
 * The docker_container parity table: one ordered scenario of tasks (each depends on the state
 * the previous ones left), run once through community.docker under ansible-playbook and once
 * through tsplay's modules, against the same daemon. Names carry a per-tool prefix so the two
 * runs never touch each other's containers.
 */
export interface ParityStep {
  id: string;
  title: string;
  module: 'docker_container' | 'docker_container_info';
  args: Record<string, unknown>;
  check?: boolean;
  /**
   * community.docker inspects an auto_remove container right after it exits, while the daemon
   * removes it: it reports the dying container (Running false) or none (null), by timing alone.
   * tsplay waits for the removal and reports none. Either way it is not running: compared so.
   */
  goneOrGoing?: boolean;
}

export interface ParityEnv {
  /** per-tool prefix for container and volume names */
  prefix: string;
  image: string;
  /** a second tag of the same image (same Id) */
  imageAlias: string;
  /** host directory holding hello.txt ("from-host\n") and vars.env (A=from-file, B=from-file) */
  hostDir: string;
}

export function parityTable(env: ParityEnv): ParityStep[] {
  const main = `${env.prefix}-main`;
  const run = `${env.prefix}-run`;
  const acc = `${env.prefix}-acc`;
  const chk = `${env.prefix}-chk`;
  const cmp = `${env.prefix}-compat`;
  const vol = `${env.prefix}-vol`;
  const ports = { name: `${env.prefix}-ports`, image: env.image, command: 'sleep 600', network_mode: 'host', stop_timeout: 1 };
  // stop_timeout 1: `sleep` as PID 1 ignores SIGTERM, so stops would otherwise take 10 s
  const base = { name: main, image: env.image, command: 'sleep 600', network_mode: 'none', stop_timeout: 1 };
  const once = (extra: Record<string, unknown>): Record<string, unknown> => ({
    name: run,
    image: env.image,
    network_mode: 'none',
    detach: false,
    cleanup: true,
    ...extra,
  });
  const steps: Array<Omit<ParityStep, 'id' | 'module'> & { module?: ParityStep['module'] }> = [
    { title: 'create and start', args: base },
    { title: 'same task again is idempotent', args: base },
    { title: 'adding env recreates', args: { ...base, env: { A: '1' } } },
    { title: 'same env is idempotent', args: { ...base, env: { A: '1' } } },
    { title: 'changed env value recreates', args: { ...base, env: { A: '2' } } },
    { title: 'adding labels recreates', args: { ...base, env: { A: '2' }, labels: { tier: 'test' } } },
    { title: 'options not given are not compared', args: base },
    { title: 'state stopped stops', args: { ...base, state: 'stopped' } },
    { title: 'state stopped again is idempotent', args: { ...base, state: 'stopped' } },
    { title: 'state present leaves a stopped container', args: { ...base, state: 'present' } },
    { title: 'state started starts it again', args: { ...base, state: 'started' } },
    { title: 'restart: true restarts', args: { ...base, restart: true } },
    { title: 'command as a list, changed', args: { ...base, command: ['sleep', '700'] } },
    { title: 'same command as a string is idempotent', args: { ...base, command: 'sleep 700' } },
    { title: 'user changed recreates', args: { ...base, command: 'sleep 700', user: 'nobody' } },
    { title: 'working_dir changed recreates', args: { ...base, command: 'sleep 700', working_dir: '/tmp' } },
    { title: 'restart_policy is updated in place', args: { ...base, command: 'sleep 700', restart_policy: 'unless-stopped' } },
    { title: 'same restart_policy is idempotent', args: { ...base, command: 'sleep 700', restart_policy: 'unless-stopped' } },
    { title: 'restart_retries joins restart_policy, updated in place', args: { ...base, command: 'sleep 700', restart_policy: 'on-failure', restart_retries: 2 } },
    { title: 'same restart_retries is idempotent', args: { ...base, command: 'sleep 700', restart_policy: 'on-failure', restart_retries: 2 } },
    { title: 'recreate: true recreates', args: { ...base, command: 'sleep 700', recreate: true } },
    { title: 'another tag of the same image is not a difference', args: { ...base, image: env.imageAlias, command: 'sleep 700' } },
    { title: 'check mode: env change would recreate', args: { ...base, command: 'sleep 700', env: { A: '3' } }, check: true },
    { title: 'info: still exists after check mode', module: 'docker_container_info', args: { name: main } },
    { title: 'check mode: absent would remove', args: { name: main, state: 'absent' }, check: true },
    { title: 'absent removes', args: { name: main, state: 'absent' } },
    { title: 'absent again is idempotent', args: { name: main, state: 'absent' } },
    { title: 'info: gone', module: 'docker_container_info', args: { name: main } },
    { title: 'detach false: stdout then stderr in Output', args: once({ command: ['sh', '-c', 'echo out; sleep 0.3; echo err >&2'] }) },
    { title: 'detach false: non-zero exit fails with the output', args: once({ command: ['sh', '-c', 'echo boom; exit 3'] }) },
    { title: 'detach false without cleanup: first run', args: once({ name: acc, cleanup: false, command: ['sh', '-c', 'echo run'] }) },
    { title: 'detach false without cleanup: logs accumulate', args: once({ name: acc, cleanup: false, command: ['sh', '-c', 'echo run'] }) },
    { title: 'remove the accumulating container', args: { name: acc, state: 'absent' } },
    { title: 'bind mount read_only: read', args: once({ command: ['cat', '/data/hello.txt'], mounts: [{ type: 'bind', source: env.hostDir, target: '/data', read_only: true }] }) },
    { title: 'bind mount read_only: write fails', args: once({ command: ['touch', '/data/x'], mounts: [{ type: 'bind', source: env.hostDir, target: '/data', read_only: true }] }) },
    { title: 'volumes host:container:ro', args: once({ command: ['cat', '/data/hello.txt'], volumes: [`${env.hostDir}:/data:ro`] }) },
    { title: 'tmpfs mount', args: once({ command: ['sh', '-c', 'echo ok > /scratch/f && cat /scratch/f'], mounts: [{ type: 'tmpfs', target: '/scratch' }] }) },
    { title: 'named volume: write', args: once({ command: ['sh', '-c', 'echo persisted > /v/f'], mounts: [{ type: 'volume', source: vol, target: '/v' }] }) },
    { title: 'named volume: read back', args: once({ command: ['cat', '/v/f'], mounts: [{ type: 'volume', source: vol, target: '/v' }] }) },
    { title: 'entrypoint plus command', args: once({ entrypoint: ['/bin/echo'], command: ['hello', 'world'] }) },
    { title: 'env reaches the process (string command)', args: once({ env: { GREETING: 'hi' }, command: "sh -c 'echo $GREETING'" }) },
    { title: 'env_file, overridden by env', args: once({ env_file: `${env.hostDir}/vars.env`, env: { B: 'from-task' }, command: ['sh', '-c', 'echo "$A $B"'] }) },
    { title: 'user and working_dir', args: once({ user: '65534', working_dir: '/tmp', command: ['sh', '-c', 'pwd; id -u'] }) },
    { title: 'auto_remove: output cannot be read', args: once({ cleanup: false, auto_remove: true, command: ['sh', '-c', 'sleep 1; echo gone'] }), goneOrGoing: true },
    { title: 'check mode: create would happen', args: { name: chk, image: env.image, command: 'sleep 600', network_mode: 'none' }, check: true },
    { title: 'info: nothing created in check mode', module: 'docker_container_info', args: { name: chk } },
    { title: 'container_default_behavior compatibility: create', args: { ...base, name: cmp, container_default_behavior: 'compatibility' } },
    { title: 'container_default_behavior compatibility: idempotent', args: { ...base, name: cmp, container_default_behavior: 'compatibility' } },
    { title: 'compatibility container removed', args: { name: cmp, state: 'absent' } },
    { title: 'published_ports: create', args: { ...ports, published_ports: ['127.0.0.1:18080:80'] } },
    { title: 'published_ports: idempotent', args: { ...ports, published_ports: ['127.0.0.1:18080:80'] } },
    { title: 'ports alias, another host port recreates', args: { ...ports, ports: ['127.0.0.1:18081:80'] } },
    { title: 'exposed_ports added recreates', args: { ...ports, ports: ['127.0.0.1:18081:80'], exposed_ports: ['9000'] } },
    { title: 'ports: fewer given than present is no difference', args: { ...ports, exposed_ports: ['9000'] } },
    { title: 'ports container removed', args: { name: ports.name, state: 'absent' } },
    { title: 'non-string env value fails', args: once({ env: { N: 1 }, command: ['true'] }) },
    { title: 'image that exists nowhere fails', args: once({ image: 'tsplay-test/does-not-exist:1', command: ['true'] }) },
    { title: 'pull: true without a registry fails', args: once({ pull: true, command: ['true'] }) },
    { title: 'labels and exit 0 with detach false', args: once({ labels: { a: 'b' }, command: ['sh', '-c', 'echo labelled'] }) },
  ];
  return steps.map((s, i) => ({ ...s, id: `s${String(i + 1).padStart(2, '0')}`, module: s.module ?? 'docker_container' }));
}

/** What the table compares between the tools. */
export interface StepOutcome {
  changed: boolean;
  failed: boolean;
  status: number | null;
  output: string | null;
  running: boolean | null;
  exists: boolean | null;
  /** --diff: what changed, as before/after */
  diff: unknown;
}

export function outcomeOf(result: Record<string, unknown> | undefined): StepOutcome {
  const r = result ?? {};
  const container = (r.container ?? null) as Record<string, unknown> | null;
  const state = (container?.State ?? null) as Record<string, unknown> | null;
  return {
    changed: Boolean(r.changed),
    failed: Boolean(r.failed),
    status: typeof r.status === 'number' ? r.status : null,
    output: typeof container?.Output === 'string' ? container.Output : null,
    running: typeof state?.Running === 'boolean' ? state.Running : null,
    exists: typeof r.exists === 'boolean' ? r.exists : null,
    diff: r.diff ?? null,
  };
}

/** The playbook (JSON is YAML) that runs the table under ansible-playbook and dumps every result. */
export function ansiblePlaybook(steps: ParityStep[], resultsPath: string): unknown[] {
  const tasks: unknown[] = steps.map((s) => ({
    name: `${s.id} ${s.title}`,
    [`community.docker.${s.module}`]: s.args,
    register: `r_${s.id}`,
    ignore_errors: true,
    diff: true,
    ...(s.check ? { check_mode: true } : {}),
  }));
  const all = `{${steps.map((s) => `'${s.id}': r_${s.id}`).join(', ')}}`;
  tasks.push({ name: 'write results', copy: { content: `{{ ${all} | to_json }}`, dest: resultsPath } });
  return [{ hosts: 'localhost', gather_facts: false, tasks }];
}
