/**
 * Distribution file names: which files belong in an index, and which project and version each
 * one is. Python's simple_index.py applies the very same rules; keep the two in step.
 */

/** PEP 503 normalisation: runs of `-`, `_`, `.` become one `-`, then lower case. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export type DistKind = 'wheel' | 'sdist';

export interface DistFile {
  filename: string;
  kind: DistKind;
  /** normalised project name */
  project: string;
  version: string;
}

const SDIST_SUFFIXES = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz'];

/**
 * Parses a file name as a wheel (`name-version(-build)?-py-abi-plat.whl`) or an sdist
 * (`name-version.tar.gz`, version after the last hyphen); undefined for anything else.
 */
export function parseDistFilename(filename: string): DistFile | undefined {
  if (filename.startsWith('.')) return undefined;
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length !== 5 && parts.length !== 6) return undefined;
    if (parts.some((part) => part === '')) return undefined;
    return { filename, kind: 'wheel', project: normalizeProjectName(parts[0]), version: parts[1] };
  }
  for (const suffix of SDIST_SUFFIXES) {
    if (!filename.endsWith(suffix)) continue;
    const stem = filename.slice(0, -suffix.length);
    const cut = stem.lastIndexOf('-');
    if (cut <= 0 || cut === stem.length - 1) return undefined;
    return {
      filename,
      kind: 'sdist',
      project: normalizeProjectName(stem.slice(0, cut)),
      version: stem.slice(cut + 1),
    };
  }
  return undefined;
}

/** Orders strings by Unicode code point, as Python's sorted() does (not by UTF-16 unit). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
