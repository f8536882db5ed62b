/**
 * Entry point of the guest test process. Loading tap costs 20–30 s of emulated CPU under TCG, so
 * the guest loads it once: this process requires every selected compiled test file in order, each
 * registers its subtests on tap's root test, and tap runs them in file order, prints one TAP stream
 * and sets a non-zero exit code if any failed. Usage: node guest-main.js <file.test.js>…
 */
import path from 'node:path';
import t from 'tap';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('guest-main: no test files given');
for (const file of files) {
  // A marker subtest per file, so the TAP stream shows where each file's subtests begin.
  t.test(`file ${path.basename(file, '.js')}`, async (t) => {
    t.pass('loaded');
  });
  require(path.resolve(file));
}
