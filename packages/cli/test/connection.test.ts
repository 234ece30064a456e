/** Where the CLI finds its workspace and API key: flags, environment, .wr/dev.env. */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseEnvFile, resolveConnection } from '../src/commands/connection.js';
import { scratchDir } from './support/network.js';

describe('connection settings', () => {
  const withDevEnv = scratchDir('devenv');
  mkdirSync(join(withDevEnv, '.wr'));
  writeFileSync(join(withDevEnv, '.wr', 'dev.env'), '# the local network\nWR_BASE_URL=http://127.0.0.1:7555\nWR_API_KEY="wr_from_dev_env"\n');
  const empty = scratchDir('nodevenv');
  after(() => [withDevEnv, empty].forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('parses env files: comments, blank lines, quotes, export', () => {
    assert.deepEqual(parseEnvFile('# c\n\nA=1\nexport B = two \nC="x=y"\nbad line\n'), { A: '1', B: 'two', C: 'x=y' });
  });

  it('takes flags over the environment over .wr/dev.env', () => {
    const env = { WR_API_KEY: 'wr_env', WR_BASE_URL: 'http://env.example:1' };
    assert.deepEqual(resolveConnection({ apiKey: 'wr_flag', url: 'https://flag.example' }, env, withDevEnv), {
      apiKey: 'wr_flag',
      baseUrl: 'https://flag.example',
      apiKeySource: '--api-key',
    });
    assert.deepEqual(resolveConnection({}, env, withDevEnv), { apiKey: 'wr_env', baseUrl: 'http://env.example:1', apiKeySource: 'WR_API_KEY' });
    assert.deepEqual(resolveConnection({}, {}, withDevEnv), { apiKey: 'wr_from_dev_env', baseUrl: 'http://127.0.0.1:7555', apiKeySource: '.wr/dev.env' });
    assert.equal(resolveConnection({ apiKey: 'wr_flag' }, {}, empty).baseUrl, 'http://127.0.0.1:7400');
  });

  it('says where it looked when there is no API key, and rejects a bad URL', () => {
    assert.throws(
      () => resolveConnection({}, {}, empty),
      (err: Error & { code?: string }) => err.code === 'UNAUTHENTICATED' && /no \.wr\/dev\.env in /.test(err.message),
    );
    assert.throws(() => resolveConnection({ apiKey: 'k', url: 'ftp://x' }, {}, empty), /--url: "ftp:\/\/x" is not an http\(s\) URL/);
  });
});
