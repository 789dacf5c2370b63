import { createHash } from 'node:crypto';

export function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex');
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function digest(algorithm: string, data: Buffer | string): string {
  return createHash(algorithm).update(data).digest('hex');
}
