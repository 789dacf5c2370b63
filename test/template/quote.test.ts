import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Templar, markUnsafe } from '../../src/template/index.js';

/** deterministic PRNG so a failure can be reproduced */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [..."abcXYZ019 \t\n'\"`$\\!*?[]{}()<>|&;#~=%^,.:-_/@+", 'é', 'ß', '€', '日', '🙂', '\r', '\x01', '\x7f'];

function randomString(rnd: () => number): string {
  const len = Math.floor(rnd() * 24);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return s;
}

test('quote output is shell-safe: sh -c "printf %s <quoted>" prints the original string', () => {
  const t = new Templar();
  const rnd = mulberry32(20261122);
  const samples = ['', "'", "''", 'a b', '$(id)', '`id`', '$HOME', 'x\ny', "it's", '-n', '--', '*', '~root', ...Array.from({ length: 300 }, () => randomString(rnd))];
  for (const s of samples) {
    const root = Object.create(null) as Record<string, unknown>;
    // host data (unsafe): a value containing "{{" must be quoted, not templated
    root.s = markUnsafe(s);
    const quoted = String(t.template('{{ s | quote }}', root));
    const out = execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' });
    assert.equal(out, s, `round trip of ${JSON.stringify(s)} through ${JSON.stringify(quoted)}`);
  }
});
