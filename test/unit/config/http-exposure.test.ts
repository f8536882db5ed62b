/**
 * A non-loopback `http.listen` needs an access token or an explicit `http.public: true`
 * (issue 11: the README's `0.0.0.0:8780` served the screen to the whole network).
 */
import t from 'tap';
import { ConfigError, loadConfig } from '../../../agent/config';
import { httpToken } from '../../../agent/config/http-token';
import { fakeFiles } from './fixtures/fake-files';

const MAIN = '/etc/pikvm-agent/agent.yaml';

function load(yaml: string) {
  return loadConfig({ configFile: MAIN, explicit: true, env: {}, overrides: [], ...fakeFiles({ [MAIN]: yaml }) });
}

for (const listen of ['0.0.0.0:8780', '10.0.0.5:8780', '[::]:8780', 'pikvm.lab:8780']) {
  t.test(`${listen} without a token: an error naming the file and http.listen`, async (t) => {
    await t.rejects(load(`http: {listen: "${listen}"}\n`), new ConfigError(MAIN, 'http.listen', `${listen} is reachable from the network: set http.token or http.token_file (or http.public: true to serve the screen to anyone)`));
  });
}

t.test('loopback needs nothing; a token, a token file or public: true opens the rest', async (t) => {
  for (const listen of ['127.0.0.1:8780', '127.1.2.3:1', '[::1]:8780', 'localhost:8780', '']) {
    t.equal((await load(`http: {listen: "${listen}"}\n`)).http.listen, listen, `${listen || "''"} is fine`);
  }
  t.equal((await load('http: {listen: "0.0.0.0:8780", token: abc}\n')).http.token, 'abc');
  t.equal((await load('http: {listen: "0.0.0.0:8780", token_file: /etc/pikvm-agent/http.token}\n')).http.token_file, '/etc/pikvm-agent/http.token');
  t.equal((await load('http: {listen: "0.0.0.0:8780", public: true}\n')).http.public, true);
});

t.test('token and token_file together, or a token needing URL escapes, are errors', async (t) => {
  await t.rejects(load('http: {token: a, token_file: /x}\n'), { keyPath: 'http.token_file', message: /not both/ });
  await t.rejects(load('http: {token: "a&b"}\n'), { keyPath: 'http.token', message: /letters, digits/ });
});

t.test("the token file's first line is the token; anything else names the file and the key", async (t) => {
  const http = { token: '', token_file: '/etc/pikvm-agent/http.token' } as Parameters<typeof httpToken>[0];
  t.equal(await httpToken(http, async () => 'tok.en_1\nignored\n'), 'tok.en_1');
  await t.rejects(httpToken(http, async () => '\n'), new ConfigError('/etc/pikvm-agent/http.token', 'http.token_file', 'the first line must be the token: 1..256 letters, digits, . _ ~ -'));
  await t.rejects(httpToken(http, async () => Promise.reject(new Error('EACCES: permission denied'))), { message: '/etc/pikvm-agent/http.token: http.token_file: cannot read: EACCES: permission denied' });
  t.equal(await httpToken({ ...http, token_file: '', token: 'inline' }), 'inline');
});
