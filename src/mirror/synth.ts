/**
 * Synthetic wheels: real zip files with a dist-info directory, for tests and the benchmark.
 */
import { writeZip } from './zip.js';

export interface SyntheticWheelSpec {
  /** project name as the wheel spells it (underscores for separators) */
  name: string;
  version: string;
  requiresPython?: string;
  tag?: string;
  /** extra METADATA header lines, e.g. ['Requires-Dist: other'] */
  headers?: string[];
  /** bytes of filler, so sizes and hashes vary */
  payloadBytes?: number;
}

export interface SyntheticWheel {
  filename: string;
  data: Buffer;
}

export function makeWheel(spec: SyntheticWheelSpec): SyntheticWheel {
  const distName = spec.name.replace(/[-_.]+/g, '_');
  const tag = spec.tag ?? 'py3-none-any';
  const distInfo = `${distName}-${spec.version}.dist-info`;
  const headers = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${spec.version}`];
  if (spec.requiresPython !== undefined) headers.push(`Requires-Python: ${spec.requiresPython}`);
  headers.push(...(spec.headers ?? []));
  const metadata = headers.join('\n') + '\n\nA synthetic package for tests.\n';
  const moduleName = distName.toLowerCase();
  const payload = `# ${spec.name} ${spec.version}\n` + 'x'.repeat(spec.payloadBytes ?? 0) + '\n';
  const files = [
    { name: `${moduleName}/__init__.py`, data: `__version__ = ${JSON.stringify(spec.version)}\n${payload}` },
    { name: `${distInfo}/METADATA`, data: metadata },
    { name: `${distInfo}/WHEEL`, data: `Wheel-Version: 1.0\nGenerator: tsplay-test\nRoot-Is-Purelib: true\nTag: ${tag}\n` },
    { name: `${distInfo}/top_level.txt`, data: `${moduleName}\n` },
  ];
  const record = files.map((file) => `${file.name},,`).join('\n') + `\n${distInfo}/RECORD,,\n`;
  files.push({ name: `${distInfo}/RECORD`, data: record });
  return { filename: `${distName}-${spec.version}-${tag}.whl`, data: writeZip(files) };
}
