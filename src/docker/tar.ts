/**
 * Just enough tar for Docker's archive API: write one regular file, and read the entries of the
 * archive `GET /containers/{id}/archive` returns (ustar, with pax and GNU long names).
 */

const BLOCK = 512;

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value.slice(0, length), offset, length, 'utf8');
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  // length-1 octal digits, then NUL
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

export interface TarFile {
  /** entry name, at most 100 bytes (callers use short temp names) */
  name: string;
  data: Buffer;
  mode: number;
  uid: number;
  gid: number;
  mtimeSec?: number;
}

/** A complete archive holding one regular file. */
export function tarOneFile(file: TarFile): Buffer {
  if (Buffer.byteLength(file.name) > 100) throw new Error(`tar entry name too long: ${file.name}`);
  const header = Buffer.alloc(BLOCK, 0);
  writeString(header, 0, 100, file.name);
  writeOctal(header, 100, 8, file.mode & 0o7777);
  writeOctal(header, 108, 8, file.uid);
  writeOctal(header, 116, 8, file.gid);
  writeOctal(header, 124, 12, file.data.length);
  writeOctal(header, 136, 12, Math.floor(file.mtimeSec ?? Date.now() / 1000));
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  const padding = (BLOCK - (file.data.length % BLOCK)) % BLOCK;
  return Buffer.concat([header, file.data, Buffer.alloc(padding, 0), Buffer.alloc(BLOCK * 2, 0)]);
}

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  mode: number;
  size: number;
  linkname: string;
  data: Buffer;
}

function readString(buf: Buffer, offset: number, length: number): string {
  const raw = buf.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
}

function readOctal(buf: Buffer, offset: number, length: number): number {
  const text = readString(buf, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!len) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

export function untar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = readOctal(header, 124, 12);
    const flag = String.fromCharCode(header[156] || 0x30);
    const data = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (flag === 'g') continue;
    if (flag === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (flag === 'K') {
      longLink = readString(data, 0, data.length);
      continue;
    }
    const prefix = readString(header, 345, 155);
    const baseName = readString(header, 0, 100);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const linkname = pax.linkpath ?? longLink ?? readString(header, 157, 100);
    const type: TarEntryType =
      flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
    entries.push({ name, type, mode: readOctal(header, 100, 8), size, linkname, data: Buffer.from(data) });
    pax = {};
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}
