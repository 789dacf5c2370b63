/**
 * Pre-build what tests share before the suite starts (called by test/run.sh), so no single test
 * spends minutes on debootstrap and times out: the base images and the fixture index's sdists.
 * Usage: node dist/test/support/prepare.js [bookworm] [second] [index]   (default: all three)
 * Exit code 1 when something could not be built; the message says what.
 */
import { baseImage, type BaseImageName, cacheRoot, dockerAvailable, startFixtureIndex } from './services.js';

const wanted = process.argv.slice(2);
const targets = wanted.length ? wanted : ['bookworm', 'second', 'index'];
let failed = false;

for (const target of targets) {
  const started = Date.now();
  try {
    let what: string;
    if (target === 'index') {
      const index = await startFixtureIndex();
      what = `fixture index (${index.files.length} files)`;
      await index.stop();
    } else if (target === 'bookworm' || target === 'second') {
      if (!(await dockerAvailable())) throw new Error('dockerd does not answer on /var/run/docker.sock');
      what = await baseImage(target as BaseImageName);
    } else {
      throw new Error(`unknown target ${target}: expected bookworm, second or index`);
    }
    console.log(`    ${what} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (cache ${cacheRoot()})`);
  } catch (e) {
    failed = true;
    console.error(`    cannot prepare ${target}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
process.exitCode = failed ? 1 : 0;
