/**
 * The backpressure limits as an operator sets them: flags or WR_ variables of
 * `wr node start` and `wr workspace start`. One that is not a whole number, or
 * too small, stops the server before it starts: CONFIG_INVALID (exit 20), naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, ApiKey } from 'caller-sdk';
import { EXIT_CODES } from '../src/output.js';
import { wr } from './support/wr.js';

test('a limit that is not a whole number of at least 1 (0 for a queue) is CONFIG_INVALID naming its flag and variable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-settings-'));
  try {
    writeFileSync(join(dir, 'token'), 'a'.repeat(64));
    const admin = new ApiKey(generateApiKey().apiKey).publicKey;
    const node = ['node', 'start', '--node-id', 'node-1', '--port', '0', '--data-dir', dir, '--token-file', join(dir, 'token'), '--admin-public-key', admin];
    const flag = await wr([...node, '--max-in-flight', '0']);
    assert.equal(flag.code, EXIT_CODES.CONFIG_INVALID, flag.stderr);
    assert.match(flag.stderr, /CONFIG_INVALID: maxInFlight: 0 is not a whole number of at least 1 \(WR_MAX_IN_FLIGHT\)/);
    const env = await wr(node, { env: { WR_MAX_QUEUE_WAIT_MS: 'soon' } });
    assert.equal(env.code, EXIT_CODES.CONFIG_INVALID, env.stderr);
    assert.match(env.stderr, /maxQueueWaitMs: soon is not a whole number of at least 1 \(WR_MAX_QUEUE_WAIT_MS\)/);
    const queue = await wr([...node, '--max-queued', '-1']);
    assert.equal(queue.code, EXIT_CODES.CONFIG_INVALID, queue.stderr);
    assert.match(queue.stderr, /maxQueued: -1 is not a whole number of at least 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
