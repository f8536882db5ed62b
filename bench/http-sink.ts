/**
 * An HTTP client for the benches that reads a stream and throws it away, printing the byte count
 * so far once a second (and at exit). It runs as its own process so that reading the stream is not
 * counted as the server's CPU. Usage: `node dist/bench/http-sink.js URL`.
 */
import { get } from 'node:http';

const url = process.argv[2];
if (!url) {
  console.error('usage: http-sink URL');
  process.exit(64);
}
let bytes = 0;
const report = (): void => {
  process.stdout.write(`${bytes}\n`);
};
get(url, (res) => {
  res.on('data', (chunk: Buffer) => (bytes += chunk.length));
  res.on('end', () => {
    report();
    process.exit(0);
  });
}).on('error', (e) => {
  console.error(`http-sink: ${e.message}`);
  process.exit(1);
});
setInterval(report, 1000);
process.on('SIGTERM', () => {
  report();
  process.exit(0);
});
