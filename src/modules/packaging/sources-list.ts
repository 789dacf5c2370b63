/**
 * The one-line-style APT sources (/etc/apt/sources.list and sources.list.d/*.list) as
 * apt_repository sees them: every line parsed into (valid, enabled, source, comment), and the
 * files written back in the normalised form Ansible writes ("# " for disabled lines,
 * single spaces inside a source, " # " before a trailing comment). deb822 `.sources` files are
 * not part of this model, as in Ansible 2.14.
 */

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_PARTS = '/etc/apt/sources.list.d';
const SOURCE_TYPES = new Set(['deb', 'deb-src']);

export interface SourceLine {
  valid: boolean;
  enabled: boolean;
  source: string;
  comment: string;
}

export class InvalidSourceError extends Error {}

/** One line as Ansible's apt_repository parses it. */
export function parseSourceLine(raw: string): SourceLine {
  let line = raw.trim();
  let enabled = true;
  let comment = '';
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const hash = line.indexOf('#');
  if (hash > 0) {
    comment = line.slice(hash + 1).trim();
    line = line.slice(0, hash);
  }
  let source = line.trim();
  let valid = false;
  if (source !== '') {
    const chunks = source.split(/\s+/);
    if (SOURCE_TYPES.has(chunks[0])) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment };
}

/** The normalised source of a `repo` argument; throws for a line that is not an enabled deb/deb-src line. */
export function normaliseRepo(repo: string): string {
  const parsed = parseSourceLine(repo);
  if (!parsed.valid || !parsed.enabled) {
    // Ansible reports the line with any leading '#' and trailing comment removed
    let shown = repo.trim();
    if (shown.startsWith('#')) shown = shown.slice(1);
    const hash = shown.indexOf('#');
    if (hash > 0) shown = shown.slice(0, hash);
    throw new InvalidSourceError(shown);
  }
  return parsed.source;
}

/**
 * The file Ansible picks when `filename` is absent: options in brackets, the URL scheme, the
 * source type and any credentials are dropped; the first remaining word (host and path) has every
 * run of non-alphanumerics turned into one `_`. With `filename`, that name plus `.list`.
 */
export function suggestFilename(source: string, filename?: string | null): string {
  if (filename !== undefined && filename !== null) return `${filename}.list`;
  let line = source.replace(/\[[^\]]+\]/g, '');
  line = line.replace(/\w+:\/\//g, '');
  const parts = line.split(/\s+/).filter((part) => part !== '' && !SOURCE_TYPES.has(part));
  let first = parts[0] ?? '';
  const at = first.indexOf('@');
  if (at >= 0) first = first.slice(at + 1);
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').split(/\s+/).filter(Boolean).join('_')}.list`;
}

/** A bare name goes to sources.list.d; a name with a slash is used as given. */
export function expandSourcesPath(name: string): string {
  if (name.includes('/')) return name;
  return `${SOURCES_PARTS}/${name}`;
}

function renderLine(line: SourceLine): string {
  return `${line.enabled ? '' : '# '}${line.source}${line.comment ? ` # ${line.comment}` : ''}\n`;
}

export class SourcesList {
  /** file path → its parsed lines, in load order (sources.list first, then *.list sorted) */
  readonly files = new Map<string, SourceLine[]>();
  /** files a line was appended to: they get `mode` set after writing */
  readonly appendedTo = new Set<string>();
  /** set by the loader: the target has python3 without python3-apt */
  lacksPythonApt = false;

  load(path: string, text: string): void {
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    this.files.set(path, lines.map(parseSourceLine));
  }

  clone(): SourcesList {
    const copy = new SourcesList();
    for (const [path, lines] of this.files) copy.files.set(path, lines.map((l) => ({ ...l })));
    return copy;
  }

  /** every file's normalised text; files without any line are left out (Ansible deletes them on save) */
  dump(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [path, lines] of this.files) {
      if (lines.length > 0) out.set(path, lines.map(renderLine).join(''));
    }
    return out;
  }

  /**
   * Present: a matching line anywhere (even commented out, even in another file) is enabled in
   * place; otherwise the line is appended to `targetPath`.
   */
  add(source: string, targetPath: string): void {
    let found = false;
    for (const lines of this.files.values()) {
      for (const line of lines) {
        if (line.valid && line.source === source) {
          line.enabled = true;
          found = true;
        }
      }
    }
    if (found) return;
    const lines = this.files.get(targetPath) ?? [];
    lines.push({ valid: true, enabled: true, source, comment: '' });
    this.files.set(targetPath, lines);
    this.appendedTo.add(targetPath);
  }

  /** Absent: every enabled matching line is dropped, in every file. */
  remove(source: string): void {
    for (const [path, lines] of this.files) {
      this.files.set(path, lines.filter((line) => !(line.valid && line.enabled && line.source === source)));
    }
  }
}
