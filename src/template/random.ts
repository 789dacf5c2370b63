/**
 * Python's random.Random(seed) for string seeds (Mersenne Twister, version-2 seeding through
 * SHA-512), so `random(seed=…)` and `shuffle(seed=…)` pick what Ansible picks.
 */
import { createHash } from 'node:crypto';

class MT19937 {
  private mt = new Uint32Array(624);
  private index = 625;
  initGenrand(s: number): void {
    this.mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }
  initByArray(key: number[]): void {
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    const n = 624;
    for (let k = Math.max(n, key.length); k; k--) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = ((this.mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= n) {
        this.mt[0] = this.mt[n - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = n - 1; k; k--) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = ((this.mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= n) {
        this.mt[0] = this.mt[n - 1];
        i = 1;
      }
    }
    this.mt[0] = 0x80000000;
    this.index = 624;
  }
  genrand(): number {
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (this.mt[k] & 0x80000000) | (this.mt[(k + 1) % 624] & 0x7fffffff);
        this.mt[k] = this.mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
  getrandbits(k: number): number {
    // k <= 32 in our use
    return this.genrand() >>> (32 - k);
  }
  random(): number {
    const a = this.genrand() >>> 5;
    const b = this.genrand() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
  randbelow(n: number): number {
    const k = Math.floor(Math.log2(n)) + 1;
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }
}

export interface PyRandom {
  random(): number;
  randbelow(n: number): number;
}

export function pyRandom(seed: string | number): PyRandom {
  const mt = new MT19937();
  let big: bigint;
  if (typeof seed === 'number') {
    big = BigInt(Math.abs(Math.trunc(seed)));
  } else {
    const bytes = Buffer.from(seed, 'utf8');
    const digest = createHash('sha512').update(bytes).digest();
    big = BigInt('0x' + Buffer.concat([bytes, digest]).toString('hex'));
  }
  const key: number[] = [];
  while (big > 0n) {
    key.push(Number(big & 0xffffffffn));
    big >>= 32n;
  }
  if (!key.length) key.push(0);
  mt.initByArray(key);
  return { random: () => mt.random(), randbelow: (n) => mt.randbelow(n) };
}

/** a [0,1) generator; kept for callers that only need a uniform float */
export function seededRandom(seed: string): () => number {
  const r = pyRandom(seed);
  return () => r.random();
}
