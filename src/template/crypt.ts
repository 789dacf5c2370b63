/** SHA-crypt ($5$/$6$, Ulrich Drepper's specification) and MD5-crypt ($1$), for password_hash. */
import crypto, { createHash } from 'node:crypto';

type OneShotHash = (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer;
const cryptoHash = (crypto as unknown as { hash?: OneShotHash }).hash;
/** crypto.hash (Node >= 20.12) is much cheaper than createHash for many tiny inputs */
function oneShot(algo: string, data: Buffer): Buffer {
  return cryptoHash ? cryptoHash(algo, data, 'buffer') : createHash(algo).update(data).digest();
}

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += B64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

function shaCrypt(algo: 'sha256' | 'sha512', password: string, saltIn: string, roundsIn: number | null): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(saltIn.slice(0, 16), 'utf8');
  const rounds = roundsIn === null ? 5000 : Math.min(999999999, Math.max(1000, roundsIn));
  const size = algo === 'sha512' ? 64 : 32;
  const h = () => createHash(algo);
  const B = h().update(P).update(S).update(P).digest();
  const a = h().update(P).update(S);
  for (let i = P.length; i > 0; i -= size) a.update(B.subarray(0, Math.min(i, size)));
  for (let i = P.length; i > 0; i >>= 1) a.update(i & 1 ? B : P);
  const A = a.digest();
  const dp = h();
  for (let i = 0; i < P.length; i++) dp.update(P);
  const DP = dp.digest();
  const Pseq = Buffer.alloc(P.length);
  for (let i = 0; i < P.length; i++) Pseq[i] = DP[i % size];
  const ds = h();
  for (let i = 0; i < 16 + A[0]; i++) ds.update(S);
  const DS = ds.digest();
  const Sseq = Buffer.alloc(S.length);
  for (let i = 0; i < S.length; i++) Sseq[i] = DS[i % size];
  // the rounds dominate (hundreds of thousands by default): assemble each round's input in one
  // preallocated buffer and hash it in a single call
  let C: Buffer = A;
  const buf = Buffer.alloc(size * 2 + Sseq.length + Pseq.length * 2);
  for (let r = 0; r < rounds; r++) {
    let len = 0;
    len += (r & 1 ? Pseq : C).copy(buf, len);
    if (r % 3) len += Sseq.copy(buf, len);
    if (r % 7) len += Pseq.copy(buf, len);
    len += (r & 1 ? C : Pseq).copy(buf, len);
    C = oneShot(algo, buf.subarray(0, len));
  }
  let out = '';
  if (algo === 'sha512') {
    const order = [
      [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
      [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
    ];
    for (const [x, y, z] of order) out += b64From24(C[x], C[y], C[z], 4);
    out += b64From24(0, 0, C[63], 2);
  } else {
    const order = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];
    for (const [x, y, z] of order) out += b64From24(C[x], C[y], C[z], 4);
    out += b64From24(0, C[31], C[30], 3);
  }
  const prefix = algo === 'sha512' ? '$6$' : '$5$';
  const roundsPart = roundsIn === null ? '' : `rounds=${rounds}$`;
  return `${prefix}${roundsPart}${S.toString('utf8')}$${out}`;
}

export function sha512Crypt(password: string, salt: string, rounds: number | null): string {
  return shaCrypt('sha512', password, salt, rounds);
}

export function sha256Crypt(password: string, salt: string, rounds: number | null): string {
  return shaCrypt('sha256', password, salt, rounds);
}

export function md5Crypt(password: string, saltIn: string): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(saltIn.slice(0, 8), 'utf8');
  const magic = Buffer.from('$1$');
  const fin = createHash('md5').update(P).update(S).update(P).digest();
  const ctx = createHash('md5').update(P).update(magic).update(S);
  for (let pl = P.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(pl, 16)));
  for (let i = P.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : P.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? P : final);
    if (i % 3) c.update(S);
    if (i % 7) c.update(P);
    c.update(i & 1 ? final : P);
    final = c.digest();
  }
  let out = '';
  for (const [x, y, z] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]]) out += b64From24(final[x], final[y], final[z], 4);
  out += b64From24(0, 0, final[11], 2);
  return `$1$${S.toString('utf8')}$${out}`;
}
