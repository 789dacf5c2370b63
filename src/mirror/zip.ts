/**
 * Just enough of the zip format to read one member of a wheel and to write small test wheels.
 * A wheel is an ordinary zip: the central directory at the end lists every member with the
 * offset of its local header; members are stored (method 0) or deflated (method 8).
 */
import { inflateRawSync, deflateRawSync, crc32 as zlibCrc32 } from 'node:zlib';

export interface ZipMember {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  crc32: number;
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const MAX_COMMENT = 0xffff;

/** where the central directory is, read from the end of the file */
export interface CentralDirectory {
  count: number;
  offset: number;
  size: number;
}

/**
 * Finds the central directory from a view of the file's end: `view` holds the file's bytes from
 * `viewOffset` on (the whole file when 0). Throws when the view does not reach far enough back.
 */
export function locateCentralDirectory(view: Buffer, viewOffset = 0): CentralDirectory {
  if (view.length < 22) throw new ZipFormatError('file too short to be a zip');
  const lowest = Math.max(0, view.length - 22 - MAX_COMMENT);
  let eocd = -1;
  for (let pos = view.length - 22; pos >= lowest; pos--) {
    if (view.readUInt32LE(pos) === EOCD_SIGNATURE) {
      eocd = pos;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end of central directory record (not a zip file)');
  let count = view.readUInt16LE(eocd + 10);
  let size = view.readUInt32LE(eocd + 12);
  let offset = view.readUInt32LE(eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && view.readUInt32LE(locator) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64Eocd = Number(view.readBigUInt64LE(locator + 8)) - viewOffset;
    if (zip64Eocd < 0 || zip64Eocd + 56 > view.length || view.readUInt32LE(zip64Eocd) !== ZIP64_EOCD_SIGNATURE) {
      throw new ZipFormatError('bad zip64 end of central directory');
    }
    count = Number(view.readBigUInt64LE(zip64Eocd + 32));
    size = Number(view.readBigUInt64LE(zip64Eocd + 40));
    offset = Number(view.readBigUInt64LE(zip64Eocd + 48));
  }
  return { count, offset, size };
}

/** Lists the members of a zip held in memory, in central-directory order. */
export function listZipMembers(buf: Buffer): ZipMember[] {
  return readCentralDirectory(buf, 0, locateCentralDirectory(buf));
}

/**
 * The members a central directory lists; `buf` holds the file's bytes from `viewOffset` on and
 * must cover the whole directory.
 */
export function readCentralDirectory(buf: Buffer, viewOffset: number, cd: CentralDirectory): ZipMember[] {
  if (cd.offset < viewOffset) throw new ZipFormatError('central directory before the bytes read');
  if (cd.offset + cd.size > viewOffset + buf.length) throw new ZipFormatError('central directory beyond end of file');
  const count = cd.count;
  const members: ZipMember[] = [];
  let pos = cd.offset - viewOffset;
  for (let i = 0; i < count; i++) {
    if (pos + 46 > buf.length || buf.readUInt32LE(pos) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`bad central directory entry ${i}`);
    }
    const method = buf.readUInt16LE(pos + 10);
    const crc32 = buf.readUInt32LE(pos + 16);
    let compressedSize = buf.readUInt32LE(pos + 20);
    let uncompressedSize = buf.readUInt32LE(pos + 24);
    const nameLength = buf.readUInt16LE(pos + 28);
    const extraLength = buf.readUInt16LE(pos + 30);
    const commentLength = buf.readUInt16LE(pos + 32);
    let localHeaderOffset = buf.readUInt32LE(pos + 42);
    const name = buf.toString('utf8', pos + 46, pos + 46 + nameLength);
    // Sizes and offset saturated at 0xffffffff live in the zip64 extra field, in this order.
    let extra = pos + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = buf.readUInt16LE(extra);
      const size = buf.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (uncompressedSize === 0xffffffff) { uncompressedSize = Number(buf.readBigUInt64LE(field)); field += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = Number(buf.readBigUInt64LE(field)); field += 8; }
        if (localHeaderOffset === 0xffffffff) { localHeaderOffset = Number(buf.readBigUInt64LE(field)); }
      }
      extra += 4 + size;
    }
    members.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset, crc32 });
    pos = extraEnd + commentLength;
  }
  return members;
}

/** The uncompressed bytes of one member. */
export function readZipMember(buf: Buffer, member: ZipMember): Buffer {
  return readZipMemberAt(buf, 0, member);
}

/** how many bytes from its local header on hold a member, unless its local extra field is unusually long */
export function memberSpan(member: ZipMember): number {
  return 30 + Buffer.byteLength(member.name, 'utf8') + 2048 + member.compressedSize;
}

/**
 * The uncompressed bytes of one member, from a view holding the file's bytes from `viewOffset` on
 * (at least the member's local header and data).
 */
export function readZipMemberAt(buf: Buffer, viewOffset: number, member: ZipMember): Buffer {
  const at = member.localHeaderOffset - viewOffset;
  if (at < 0 || at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL_SIGNATURE) {
    throw new ZipFormatError(`bad local header for ${member.name}`);
  }
  const dataStart = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const dataEnd = dataStart + member.compressedSize;
  if (dataEnd > buf.length) throw new ZipFormatError(`member ${member.name} runs past the end of the file`);
  const raw = buf.subarray(dataStart, dataEnd);
  let data: Buffer;
  if (member.method === 0) data = Buffer.from(raw);
  else if (member.method === 8) data = inflateRawSync(raw);
  else throw new ZipFormatError(`member ${member.name} uses unsupported compression method ${member.method}`);
  if (zlibCrc32(data) !== member.crc32) throw new ZipFormatError(`member ${member.name} fails its CRC check`);
  return data;
}

/** Builds a zip (deflated members) in memory: how tests and the benchmark make wheels. */
export function writeZip(files: Array<{ name: string; data: Buffer | string }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const data = typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data;
    const compressed = deflateRawSync(data);
    const name = Buffer.from(file.name, 'utf8');
    const crc = zlibCrc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(0o100644 * 0x10000, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(EOCD_SIGNATURE, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
