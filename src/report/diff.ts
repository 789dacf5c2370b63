/**
 * `--diff` text as Ansible's callbacks print it: Python difflib's unified diff (3 lines of context,
 * `--- before: path` / `+++ after: path`, difflib's hunk headers), dicts shown as sorted JSON.
 */
import { structuredPatch } from 'diff';
import type { DiffEntry } from '../modules/types.js';
import { pyJson } from './plain.js';

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || v instanceof String) return String(v);
  return pyJson(v, 4) + '\n';
}

/** difflib's "start,length" (length omitted when 1; start-1 when empty) */
function range(start: number, length: number): string {
  if (length === 1) return `${start}`;
  if (length === 0) return `${start - 1},0`;
  return `${start},${length}`;
}

function unified(before: string, after: string, fromFile: string, toFile: string): string {
  const patch = structuredPatch(fromFile, toFile, before, after, '', '', { context: 3 });
  if (patch.hunks.length === 0) return '';
  const out = [`--- ${fromFile}`, `+++ ${toFile}`];
  for (const h of patch.hunks) {
    out.push(`@@ -${range(h.oldStart || 1, h.oldLines)} +${range(h.newStart || 1, h.newLines)} @@`);
    for (const line of h.lines) out.push(line);
  }
  return out.join('\n') + '\n';
}

export function formatDiff(diff: DiffEntry | DiffEntry[] | undefined): string {
  if (!diff) return '';
  const entries = Array.isArray(diff) ? diff : [diff];
  const parts: string[] = [];
  for (const d of entries) {
    if ((d as Record<string, unknown>).dst_binary) parts.push('diff skipped: destination file appears to be binary\n');
    else if ((d as Record<string, unknown>).src_binary) parts.push('diff skipped: source file appears to be binary\n');
    else if ('before' in d || 'after' in d) {
      const text = unified(asText(d.before), asText(d.after), d.before_header ? `before: ${d.before_header}` : 'before', d.after_header ? `after: ${d.after_header}` : 'after');
      if (text) parts.push(text);
    }
    if (d.prepared) parts.push(String(d.prepared));
  }
  return parts.join('\n');
}
