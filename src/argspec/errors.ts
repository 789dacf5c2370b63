/**
 * Post stage: turns Ajv's error list (already in Ansible's evaluation order) into Ansible's
 * error lines. Two things need merging that no single keyword can do: Ajv reports one
 * `required` error per missing option where Ansible prints one sorted line per level, and
 * Ansible reports every unsupported name of every level in one line at the very end.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';

interface UnsupportedItem {
  name: string;
  supported: string[];
  aliases: string[];
}

export function ansibleErrorLines(ajvErrors: readonly ErrorObject[] | null | undefined): { lines: string[]; endsWithUnsupported: boolean } {
  const lines: string[] = [];
  const unsupported = new Map<string, UnsupportedItem>();
  let pendingRequired: { key: string; names: string[]; context: string[] } | undefined;
  const flushRequired = (): void => {
    if (!pendingRequired) return;
    const { names, context } = pendingRequired;
    const text = `missing required arguments: ${names.join(', ')}`;
    lines.push(context.length ? `${text} found in ${context.join(' -> ')}` : text);
    pendingRequired = undefined;
  };
  for (const e of ajvErrors ?? []) {
    if (e.keyword === 'required') {
      const key = `${e.instancePath}\u0000${e.schemaPath}`;
      const name = String((e.params as { missingProperty: string }).missingProperty);
      if (pendingRequired?.key === key) pendingRequired.names.push(name);
      else {
        flushRequired();
        const context = ((e.parentSchema as Record<string, unknown> | undefined)?.['x-ansible-context'] as string[] | undefined) ?? [];
        pendingRequired = { key, names: [name], context };
      }
      continue;
    }
    flushRequired();
    if (e.keyword === 'unsupported') {
      const params = e.params as { supported: string[]; aliases: string[] };
      const name = e.message ?? '';
      unsupported.set(name, { name, supported: params.supported, aliases: params.aliases });
    } else if (e.keyword === 'ansible' && e.message !== undefined) {
      lines.push(e.message);
    }
    // `if` (and any other structural keyword) only echoes the failure of a branch already reported
  }
  flushRequired();
  if (unsupported.size) lines.push(unsupportedLine([...unsupported.values()]));
  return { lines, endsWithUnsupported: unsupported.size > 0 };
}

/**
 * `a, b.c. Supported parameters include: x, y (alias1, alias2).` — the supported list is the one
 * of the level of the last name Python happens to iterate from a set; with names on several
 * levels that choice varies between runs, so we take the last name in sorted order.
 */
function unsupportedLine(items: UnsupportedItem[]): string {
  const names = items.map((i) => i.name).sort(pyStrCompare);
  const last = items.find((i) => i.name === names[names.length - 1]) as UnsupportedItem;
  let supported = [...last.supported].sort(pyStrCompare).join(', ');
  if (last.aliases.length) supported += ` (${[...new Set(last.aliases)].sort(pyStrCompare).join(', ')})`;
  return `${names.join(', ')}. Supported parameters include: ${supported}.`;
}

/** Python sorts str by code point */
export function pyStrCompare(a: string, b: string): number {
  const ac = [...a].map((c) => c.codePointAt(0) as number);
  const bc = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(ac.length, bc.length); i++) if (ac[i] !== bc[i]) return ac[i] - bc[i];
  return ac.length - bc.length;
}
