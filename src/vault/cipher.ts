/**
 * VaultAES256, the only cipher ansible-vault writes (formats 1.1 and 1.2 alike): PBKDF2-HMAC-
 * SHA256 with 10000 iterations derives 80 bytes from the password and salt (an AES-256 key, an
 * HMAC-SHA256 key, the CTR counter's start), the HMAC covers the ciphertext, and the plaintext
 * carries PKCS#7 padding to 16 bytes.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { VaultEnvelope } from './envelope.js';
import { VAULT_HEADER } from './envelope.js';

const ITERATIONS = 10000;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;

interface Keys {
  cipherKey: Buffer;
  hmacKey: Buffer;
  iv: Buffer;
}

const derived = new Map<string, Keys>();

/** the three keys; cached, since PBKDF2 costs milliseconds and a run may read many values */
function deriveKeys(password: Buffer, salt: Buffer): Keys {
  const cacheKey = `${password.toString('base64')}:${salt.toString('base64')}`;
  let keys = derived.get(cacheKey);
  if (!keys) {
    const bytes = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
    keys = { cipherKey: bytes.subarray(0, KEY_LENGTH), hmacKey: bytes.subarray(KEY_LENGTH, 2 * KEY_LENGTH), iv: bytes.subarray(2 * KEY_LENGTH) };
    derived.set(cacheKey, keys);
  }
  return keys;
}

/** the plaintext, or undefined when this password is not the one (the HMAC does not match) */
export function decryptAes256(envelope: VaultEnvelope, password: Buffer): Buffer | undefined {
  const keys = deriveKeys(password, envelope.salt);
  const mac = createHmac('sha256', keys.hmacKey).update(envelope.ciphertext).digest();
  const expected = Buffer.from(envelope.hmacHex.toLowerCase(), 'latin1');
  const actual = Buffer.from(mac.toString('hex'), 'latin1');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const padded = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  const pad = padded.length ? padded[padded.length - 1] : 0;
  if (pad < 1 || pad > 16 || pad > padded.length) return undefined;
  return padded.subarray(0, padded.length - pad);
}

/** ansible-vault's output for plaintext (used by tests and round trips; 1.2 when an id is given) */
export function encryptAes256(plaintext: Buffer | string, password: Buffer, vaultId?: string): string {
  const salt = randomBytes(32);
  const keys = deriveKeys(password, salt);
  const data = Buffer.from(plaintext);
  const pad = 16 - (data.length % 16);
  const cipher = createCipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), cipher.final()]);
  const mac = createHmac('sha256', keys.hmacKey).update(ciphertext).digest('hex');
  const payload = Buffer.from(`${salt.toString('hex')}\n${mac}\n${ciphertext.toString('hex')}`, 'latin1').toString('hex');
  const header = vaultId && vaultId !== 'default' ? `${VAULT_HEADER};1.2;AES256;${vaultId}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < payload.length; i += 80) lines.push(payload.slice(i, i + 80));
  return `${lines.join('\n')}\n`;
}
