/**
 * Inventories as ansible-playbook reads them: a `host1,host2,` list, an INI file, a YAML file,
 * plus group_vars/ and host_vars/ beside the inventory and the playbook. Without one, only the
 * implicit `localhost` exists (local connection), as in Ansible.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { decryptVault, isVaultText } from '../vault/index.js';
import { dirname, join, resolve } from 'node:path';
import { UserError, type SourcePos } from '../util/errors.js';
import { isMapping, loadYamlFile, parseYaml, posOf, posOfKey } from '../load/yaml.js';
import { assignOwn } from '../util/dict.js';

export interface Host {
  name: string;
  /** vars written on the host in the inventory source */
  vars: Record<string, unknown>;
  groups: Set<string>;
  implicit?: boolean;
}

export interface Group {
  name: string;
  vars: Record<string, unknown>;
  children: Set<string>;
  hosts: Set<string>;
  parents: Set<string>;
}

export class Inventory {
  readonly hosts = new Map<string, Host>();
  readonly groups = new Map<string, Group>();
  /** directories whose group_vars/ and host_vars/ apply (inventory dirs) */
  readonly varDirs: string[] = [];
  readonly sources: string[] = [];
  /** some source was read (a file, a directory or a comma list); Ansible warns when none was */
  parsed = false;

  constructor() {
    this.group('all');
    this.group('ungrouped');
    this.groups.get('all')!.children.add('ungrouped');
    this.groups.get('ungrouped')!.parents.add('all');
  }

  group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, vars: {}, children: new Set(), hosts: new Set(), parents: new Set() };
      this.groups.set(name, g);
      if (name !== 'all') {
        g.parents.add('all');
        this.groups.get('all')?.children.add(name);
      }
    }
    return g;
  }

  addHost(name: string, groupName?: string, vars: Record<string, unknown> = {}): Host {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, groups: new Set(['all']) };
      this.hosts.set(name, h);
    }
    assignOwn(h.vars, vars);
    if (groupName && groupName !== 'all' && groupName !== 'ungrouped') {
      this.group(groupName).hosts.add(name);
      h.groups.add(groupName);
    }
    return h;
  }

  /**
   * Makes `child` a child group of `parent`. A group that would become its own ancestor is
   * refused with Ansible's message (Ansible then skips the source with a warning; tsplay stops,
   * as for any inventory it cannot read).
   */
  addChild(parent: string, child: string, pos?: SourcePos): void {
    if (child === parent || this.descendants(child).has(parent)) {
      throw new UserError(`Adding group '${child}' as child to '${parent}' creates a recursive dependency loop.`, pos);
    }
    const p = this.group(parent);
    const c = this.group(child);
    p.children.add(child);
    c.parents.add(parent);
    if (parent !== 'all') {
      c.parents.delete('all');
      this.groups.get('all')?.children.delete(child);
    }
  }

  /** after loading: hosts in no group go to ungrouped; group membership is transitive */
  finish(): void {
    for (const h of this.hosts.values()) {
      if (h.implicit) continue;
      const direct = [...h.groups].filter((g) => g !== 'all' && g !== 'ungrouped');
      if (direct.length === 0) {
        h.groups.add('ungrouped');
        this.groups.get('ungrouped')!.hosts.add(h.name);
      }
      for (const g of direct) for (const anc of this.ancestors(g)) h.groups.add(anc);
    }
  }

  /** every group below `group` */
  descendants(group: string): Set<string> {
    const out = new Set<string>();
    const todo = [group];
    for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
      for (const c of this.groups.get(name)?.children ?? []) {
        if (!out.has(c)) {
          out.add(c);
          todo.push(c);
        }
      }
    }
    return out;
  }

  ancestors(group: string, seen = new Set<string>()): string[] {
    const g = this.groups.get(group);
    if (!g || seen.has(group)) return [];
    seen.add(group);
    const out: string[] = [];
    for (const p of g.parents) out.push(p, ...this.ancestors(p, seen));
    return out;
  }

  /** depth of a group below `all`, used to order group vars (parents before children) */
  depth(group: string, seen = new Set<string>()): number {
    if (group === 'all') return 0;
    const g = this.groups.get(group);
    if (!g || seen.has(group)) return 1;
    seen.add(group);
    let d = 0;
    for (const p of g.parents) d = Math.max(d, this.depth(p, seen) + 1);
    return d;
  }

  /** hosts of a group, including those of its child groups, in inventory order */
  groupHosts(name: string, seen = new Set<string>()): string[] {
    const g = this.groups.get(name);
    if (!g || seen.has(name)) return [];
    seen.add(name);
    const out: string[] = [];
    if (name === 'all') return [...this.hosts.values()].filter((h) => !h.implicit).map((h) => h.name);
    for (const h of g.hosts) out.push(h);
    for (const c of g.children) for (const h of this.groupHosts(c, seen)) if (!out.includes(h)) out.push(h);
    return out;
  }

  /** the `groups` magic variable */
  groupsVar(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const name of this.groups.keys()) out[name] = this.groupHosts(name);
    return out;
  }

  /** the implicit localhost used when a play targets `localhost` and the inventory lacks it */
  implicitLocalhost(): Host {
    let h = this.hosts.get('localhost');
    if (!h) {
      h = { name: 'localhost', vars: { ansible_connection: 'local', ansible_python_interpreter: process.env.TSPLAY_PYTHON ?? '/usr/bin/python3' }, groups: new Set(), implicit: true };
      this.hosts.set('localhost', h);
    }
    return h;
  }
}

/** where Ansible looks without -i: $ANSIBLE_INVENTORY (comma-separated paths), else /etc/ansible/hosts when it exists */
function defaultSources(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = env.ANSIBLE_INVENTORY;
  if (fromEnv) return fromEnv.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return existsSync(DEFAULT_HOST_LIST) ? [DEFAULT_HOST_LIST] : [];
}

const DEFAULT_HOST_LIST = '/etc/ansible/hosts';

/** loads every `-i` source (none: Ansible's default sources); nothing loaded means the implicit localhost only */
export function loadInventory(sources: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Inventory {
  const inv = new Inventory();
  for (const source of sources.length ? sources : defaultSources(env)) {
    if (!existsSync(resolve(cwd, source)) && source.includes(',')) {
      for (const name of source.split(',').map((s) => s.trim()).filter((s) => s !== '')) inv.addHost(name);
      inv.parsed = true;
      continue;
    }
    const path = resolve(cwd, source);
    if (!existsSync(path)) throw new UserError(`Unable to parse ${path} as an inventory source: the file does not exist`);
    inv.sources.push(path);
    inv.parsed = true;
    if (statSync(path).isDirectory()) {
      inv.varDirs.push(path);
      for (const f of readdirSync(path).sort()) {
        const p = join(path, f);
        if (statSync(p).isFile() && !/\.(retry|pyc|swp|bak|orig|ini~)$|~$/.test(f)) loadInventoryFile(inv, p);
      }
    } else {
      inv.varDirs.push(dirname(path));
      loadInventoryFile(inv, path);
    }
  }
  inv.finish();
  return inv;
}

function loadInventoryFile(inv: Inventory, path: string): void {
  let text = readFileSync(path, 'utf8');
  if (isVaultText(text)) text = decryptVault(text, path).toString('utf8');
  const trimmed = text.trimStart();
  const looksYaml = /\.(ya?ml|json)$/.test(path) || /^(---|all:|\{)/.test(trimmed);
  if (looksYaml) loadYamlInventory(inv, parseYaml(text, path), path);
  else loadIniInventory(inv, text, path);
}

function loadYamlInventory(inv: Inventory, data: unknown, path: string): void {
  if (data === null) return;
  if (!isMapping(data)) throw new UserError(`Unable to parse ${path} as an inventory source: YAML inventory has invalid structure, it should be a dictionary`);
  for (const [groupName, body] of Object.entries(data)) loadYamlGroup(inv, groupName, body, path);
}

function loadYamlGroup(inv: Inventory, name: string, body: unknown, path: string): void {
  const group = inv.group(name);
  if (body === null || body === undefined) return;
  if (!isMapping(body)) throw new UserError(`Unable to parse ${path} as an inventory source: group '${name}' must be a dictionary`);
  for (const key of Object.keys(body)) {
    if (!['hosts', 'vars', 'children'].includes(key)) throw new UserError(`Unable to parse ${path} as an inventory source: invalid key '${key}' for group '${name}' (expected hosts, vars, children)`);
  }
  if (isMapping(body.vars)) assignOwn(group.vars, body.vars);
  else if (body.vars !== null && body.vars !== undefined) {
    throw new UserError(`Unable to parse ${path} as an inventory source: Invalid "vars" entry for "${name}" group, requires a dictionary`, posOfKey(body, 'vars'));
  }
  // Ansible's yaml plugin wants `hosts:` as a mapping of host → vars (a list is a common slip)
  if (body.hosts !== null && body.hosts !== undefined && !isMapping(body.hosts)) {
    throw new UserError(
      `Unable to parse ${path} as an inventory source: Invalid "hosts" entry for "${name}" group, requires a dictionary, found ${Array.isArray(body.hosts) ? 'a list' : `'${String(body.hosts)}'`} instead.`,
      posOf(body.hosts) ?? posOfKey(body, 'hosts'),
    );
  }
  if (isMapping(body.hosts)) {
    for (const [host, vars] of Object.entries(body.hosts)) {
      for (const h of expandHostRange(host)) inv.addHost(h, name, isMapping(vars) ? vars : {});
    }
  }
  if (isMapping(body.children)) {
    for (const [child, childBody] of Object.entries(body.children)) {
      inv.addChild(name, child, posOfKey(body.children, child));
      loadYamlGroup(inv, child, childBody, path);
    }
  }
}

function loadIniInventory(inv: Inventory, text: string, path: string): void {
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]:]+)(?::(\w+))?\]$/.exec(line);
    if (header) {
      section = header[1];
      const k = header[2] ?? 'hosts';
      if (k !== 'hosts' && k !== 'vars' && k !== 'children') {
        throw new UserError(`Section [${section}:${k}] has unknown type: ${k}`, { file: path, line: index + 1, col: 1 });
      }
      kind = k;
      inv.group(section);
      return;
    }
    if (line.startsWith('[')) throw new UserError(`Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`, { file: path, line: index + 1, col: 1 });
    if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw new UserError(`Expected key=value, got: ${line}`, { file: path, line: index + 1, col: 1 });
      // ansible-core 2.14 reads :vars values as Python literals too (port=80 is an int)
      inv.group(section).vars[line.slice(0, eq).trim()] = iniLiteral(line.slice(eq + 1).trim());
      return;
    }
    if (kind === 'children') {
      inv.addChild(section, line.split(/\s+/)[0], { file: path, line: index + 1, col: 1 });
      return;
    }
    const tokens = line.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
    const [hostPart = '', ...rest] = tokens;
    const vars: Record<string, unknown> = {};
    for (const t of rest) {
      const eq = t.indexOf('=');
      if (eq < 0) throw new UserError(`Expected key=value host variable assignment, got: ${t}`, { file: path, line: index + 1, col: 1 });
      vars[t.slice(0, eq)] = iniLiteral(t.slice(eq + 1));
    }
    for (const h of expandHostRange(hostPart)) inv.addHost(h, section === 'ungrouped' ? undefined : section, vars);
  });
}

function stripQuotes(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}

/** inline INI host vars are Python literals: ints, floats, True/False/None, quoted strings; anything else a string */
function iniLiteral(v: string): unknown {
  if (/^-?\d+$/.test(v)) return Number(v);
  if (/^-?\d+\.\d*$/.test(v)) return Number(v);
  if (v === 'True') return true;
  if (v === 'False') return false;
  if (v === 'None') return null;
  return stripQuotes(v);
}

/** web[01:03].example → web01.example … web03.example */
function expandHostRange(pattern: string): string[] {
  const m = /^(.*)\[([0-9a-z]+):([0-9a-z]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, from, to, stepRaw, tail] = m;
  const step = stepRaw ? Number(stepRaw) : 1;
  const out: string[] = [];
  if (/^\d+$/.test(from)) {
    const width = from.length;
    for (let i = Number(from); i <= Number(to); i += step) out.push(...expandHostRange(`${head}${String(i).padStart(width, '0')}${tail}`));
  } else {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step) out.push(...expandHostRange(`${head}${String.fromCharCode(c)}${tail}`));
  }
  return out;
}

/** group_vars/<name>{,.yml,.yaml,.json} or a directory of such files */
export function loadVarsNamed(dir: string, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const candidate of [name, `${name}.yml`, `${name}.yaml`, `${name}.json`]) {
    const p = join(dir, candidate);
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) {
        if (/\.(ya?ml|json)$/.test(f) || !f.includes('.')) assignOwn(out, asVars(loadYamlFile(join(p, f)), join(p, f)));
      }
    } else {
      assignOwn(out, asVars(loadYamlFile(p), p));
    }
  }
  return out;
}

function asVars(data: unknown, path: string): Record<string, unknown> {
  if (data === null || data === undefined) return {};
  if (!isMapping(data)) throw new UserError(`vars file ${path} must be a dictionary`, { file: path, line: 1, col: 1 });
  return data;
}

/** Ansible's config booleans: y, yes, on, 1, true, t (any case) are true, anything else false */
function ansibleBool(value: string | undefined, unset: boolean): boolean {
  if (value === undefined) return unset;
  return ['y', 'yes', 'on', '1', 'true', 't'].includes(value.trim().toLowerCase());
}

/**
 * What ansible-playbook warns about the inventory before anything runs, each switched off as in
 * Ansible (ANSIBLE_INVENTORY_UNPARSED_WARNING, ANSIBLE_LOCALHOST_WARNING; not read from ansible.cfg).
 */
export function inventoryWarnings(inv: Inventory, env: NodeJS.ProcessEnv = process.env): string[] {
  const warnings: string[] = [];
  if (!inv.parsed && ansibleBool(env.ANSIBLE_INVENTORY_UNPARSED_WARNING, true)) {
    warnings.push('No inventory was parsed, only implicit localhost is available');
  }
  const explicitHosts = [...inv.hosts.values()].filter((h) => !h.implicit).length;
  if (explicitHosts === 0 && ansibleBool(env.ANSIBLE_LOCALHOST_WARNING, true)) {
    warnings.push("provided hosts list is empty, only localhost is available. Note that the implicit localhost does not match 'all'");
  }
  return warnings;
}
