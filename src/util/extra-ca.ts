/**
 * NODE_EXTRA_CA_CERTS, deferred to the first HTTPS request.
 *
 * Node parses every certificate that variable names while it starts, before any JavaScript
 * runs: ~50 ms for a system bundle of ~140 certificates (what our machines point it at), a
 * sixth of a 200-task playbook's whole run. Most runs make no HTTPS request at all. So the
 * tsplay executable (a /bin/sh header the build puts on it) starts Node without the variable, handing its value over as
 * TSPLAY_EXTRA_CA_CERTS; the launcher (src/cli/tsplay.cts) puts it back into the environment
 * for the commands tsplay runs and records the deferral here, and tsplay's own HTTPS requests
 * (get_url, Docker over TLS) trust Node's roots plus those certificates, as Node would have.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/** set by the launcher (a CommonJS file that cannot import this module) to the file's path */
const DEFERRED = Symbol.for('tsplay.deferredExtraCaCerts');

let trusted: string[] | undefined;

function deferredFile(): string | undefined {
  const file = (globalThis as Record<symbol, unknown>)[DEFERRED];
  return typeof file === 'string' && file !== '' ? file : undefined;
}

/**
 * The CA certificates an HTTPS request with Node's default trust should use: undefined when
 * Node's own store is already complete (nothing was deferred), else Node's roots plus the
 * deferred file's certificates. An unreadable file is reported once and ignored, as Node does.
 */
export function defaultTrustedCas(): string[] | undefined {
  const file = deferredFile();
  if (!file) return undefined;
  if (!trusted) {
    let extra: string[] = [];
    try {
      extra = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    } catch (err) {
      process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
    }
    trusted = [...rootCertificates, ...extra];
  }
  return trusted;
}
