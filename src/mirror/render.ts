/**
 * The bytes of a static simple index: PEP 503 HTML with PEP 629's version meta, PEP 691 JSON
 * beside it, PEP 658/714 metadata attributes. roles/pip-mirrors/files/simple_index.py renders
 * exactly the same bytes; any change here must be made there too (test/mirror proves it).
 */
import { compareCodePoints, type DistKind } from './names.js';

/** Version advertised in the HTML pages (PEP 629) and in the JSON (PEP 691 + PEP 700 `size`). */
export const HTML_API_VERSION = '1.0';
export const JSON_API_VERSION = '1.1';
/** File beside each index.html holding the JSON form (bandersnatch's name, so nginx recipes carry over). */
export const JSON_INDEX_NAME = 'index.v1_json';

export interface IndexedFile {
  filename: string;
  kind: DistKind;
  project: string;
  version: string;
  sha256: string;
  size: number;
  requiresPython?: string;
  /** sha256 of the `<file>.metadata` written beside the file, when there is one */
  metadataSha256?: string;
}

/** Python's html.escape(s, quote=True). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

const UNRESERVED = /[A-Za-z0-9_.~-]/;

/** Python's urllib.parse.quote(s, safe=''): percent-encodes UTF-8 bytes outside the unreserved set. */
export function quoteUrlComponent(text: string): string {
  let out = '';
  for (const ch of text) {
    if (UNRESERVED.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Python's json.dumps(value, ensure_ascii=False, separators=(',', ':')) for the plain data used here. */
export function dumpJson(value: unknown): string {
  return JSON.stringify(value);
}

function fileUrl(file: IndexedFile): string {
  // Pages live at simple/<project>/, files two levels up beside the wheels pip wrote.
  return `../../${quoteUrlComponent(file.filename)}`;
}

export function renderRootHtml(projects: string[]): string {
  const lines = [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    `    <meta name="pypi:repository-version" content="${HTML_API_VERSION}">`,
    '    <title>Simple index</title>',
    '  </head>',
    '  <body>',
  ];
  for (const project of projects) {
    const name = escapeHtml(project);
    lines.push(`    <a href="${quoteUrlComponent(project)}/">${name}</a><br>`);
  }
  lines.push('  </body>', '</html>', '');
  return lines.join('\n');
}

export function renderProjectHtml(project: string, files: IndexedFile[]): string {
  const name = escapeHtml(project);
  const lines = [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    `    <meta name="pypi:repository-version" content="${HTML_API_VERSION}">`,
    `    <title>Links for ${name}</title>`,
    '  </head>',
    '  <body>',
    `    <h1>Links for ${name}</h1>`,
  ];
  for (const file of files) {
    let attributes = `href="${escapeHtml(`${fileUrl(file)}#sha256=${file.sha256}`)}"`;
    if (file.requiresPython !== undefined) {
      attributes += ` data-requires-python="${escapeHtml(file.requiresPython)}"`;
    }
    if (file.metadataSha256 !== undefined) {
      const value = `sha256=${file.metadataSha256}`;
      // Only PEP 714's name: pips before 23.2 read the PEP 658 name and then compare the
      // requested name with the metadata's Name literally (pip 23.0.1, Debian 12's pip, rejects
      // `Hello-World` against `Hello_World`); without the attribute they fetch the wheel instead.
      attributes += ` data-core-metadata="${value}"`;
    }
    lines.push(`    <a ${attributes}>${escapeHtml(file.filename)}</a><br>`);
  }
  lines.push('  </body>', '</html>', '');
  return lines.join('\n');
}

export function renderRootJson(projects: string[]): string {
  return dumpJson({
    meta: { 'api-version': JSON_API_VERSION },
    projects: projects.map((name) => ({ name })),
  }) + '\n';
}

export function renderProjectJson(project: string, files: IndexedFile[]): string {
  const versions: string[] = [];
  for (const file of files) if (!versions.includes(file.version)) versions.push(file.version);
  versions.sort(compareCodePoints);
  return dumpJson({
    meta: { 'api-version': JSON_API_VERSION },
    name: project,
    versions,
    files: files.map((file) => {
      const entry: Record<string, unknown> = {
        filename: file.filename,
        url: fileUrl(file),
        hashes: { sha256: file.sha256 },
      };
      if (file.requiresPython !== undefined) entry['requires-python'] = file.requiresPython;
      if (file.metadataSha256 !== undefined) entry['core-metadata'] = { sha256: file.metadataSha256 };
      entry.size = file.size;
      return entry;
    }),
  }) + '\n';
}

/**
 * Requires-Python from core metadata (RFC 822 style headers up to the first blank line;
 * continuation lines start with whitespace). Undefined when absent or empty.
 */
export function requiresPythonFromMetadata(metadata: string): string | undefined {
  const lines = metadata.split(/\r\n|\n|\r/);
  let found: string | undefined;
  let inTarget = false;
  for (const line of lines) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (inTarget && found !== undefined) found += ' ' + stripAsciiSpace(line);
      continue;
    }
    inTarget = false;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (line.slice(0, colon).toLowerCase() === 'requires-python' && found === undefined) {
      found = stripAsciiSpace(line.slice(colon + 1));
      inTarget = true;
    }
  }
  if (found === undefined) return undefined;
  found = stripAsciiSpace(found);
  return found === '' ? undefined : found;
}

function stripAsciiSpace(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** All index pages keyed by their path inside the index directory, in a stable order. */
export function renderIndex(files: IndexedFile[]): Map<string, string> {
  const byProject = new Map<string, IndexedFile[]>();
  for (const file of files) {
    const list = byProject.get(file.project);
    if (list) list.push(file);
    else byProject.set(file.project, [file]);
  }
  const projects = [...byProject.keys()].sort(compareCodePoints);
  const pages = new Map<string, string>();
  pages.set('index.html', renderRootHtml(projects));
  pages.set(JSON_INDEX_NAME, renderRootJson(projects));
  for (const project of projects) {
    const projectFiles = byProject.get(project)!.sort((a, b) => compareCodePoints(a.filename, b.filename));
    pages.set(`${project}/index.html`, renderProjectHtml(project, projectFiles));
    pages.set(`${project}/${JSON_INDEX_NAME}`, renderProjectJson(project, projectFiles));
  }
  return pages;
}
