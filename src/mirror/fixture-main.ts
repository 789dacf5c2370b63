/**
 * `node dist/src/mirror/fixture-main.js DIR [PORT]`: builds the fixture upstream index in DIR,
 * serves it on 127.0.0.1 and writes its URL to DIR/url once it answers (scripts/demo.sh waits
 * for that file). Runs until SIGTERM or SIGINT.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { startFixtureUpstream } from './fixture.js';

async function main(): Promise<void> {
  const [dir, port] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: fixture-main.js DIR [PORT]\n');
    process.exit(2);
  }
  await fsp.mkdir(dir, { recursive: true });
  const upstream = await startFixtureUpstream(dir, port ? Number(port) : 0);
  await fsp.writeFile(path.join(dir, 'url.tmp'), upstream.indexUrl + '\n');
  await fsp.rename(path.join(dir, 'url.tmp'), path.join(dir, 'url'));
  process.stdout.write(`fixture upstream index: ${upstream.indexUrl} (projects: ${upstream.projects.join(', ')})\n`);
  const stop = (): void => {
    void upstream.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`fixture upstream failed: ${error.message}\n`);
  process.exit(1);
});
