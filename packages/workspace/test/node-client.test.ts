/**
 * The workspace's client of one node, behind a relay the test controls that can
 * drop a connection as a request arrives on it (as a kept-alive connection
 * that went stale while the node was out of reach does): a read is tried once
 * more on a fresh connection, a write never is.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { newSessionId } from '@wr/common';
import { Admission } from '@wr/server';
import { DEFAULT_NODE_REQUEST_LIMITS } from '../src/config.js';
import { NodeClient } from '../src/node-client.js';
import { startTestWorkspace, type TestWorkspace } from './support.js';

let ws: TestWorkspace;
let relay: Server;
let client: NodeClient;
/** Requests still to be cut off: the connection they arrive on is dropped. */
let cut = 0;
/** Each request's first line, as the relay saw it arrive. */
const seen: string[] = [];

before(async () => {
  ws = await startTestWorkspace({ nodeCount: 1 });
  const node = ws.config.nodes[0]!;
  const target = new URL(node.url);
  relay = createServer((socket: Socket) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    upstream.pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('data', (chunk: Buffer) => {
      const line = chunk.toString('latin1').split('\r\n', 1)[0]!;
      if (/^(GET|POST) /.test(line)) {
        seen.push(line.replace(/ HTTP\/1\.1$/, ''));
        if (cut > 0) {
          cut--;
          socket.destroy();
          upstream.destroy();
          return;
        }
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const { port } = relay.address() as { port: number };
  client = new NodeClient({ ...node, url: `http://127.0.0.1:${port}` }, 5_000, new Admission(node.nodeId, 'test', DEFAULT_NODE_REQUEST_LIMITS), {
    connectTimeoutMs: 2_000,
  });
});
after(async () => {
  await client?.close();
  relay?.close();
  await ws?.close();
});

test('a read whose connection is dropped as it arrives is sent once more, and answered', async () => {
  seen.length = 0;
  cut = 1;
  const info = await client.info();
  assert.equal(typeof info.shares, 'number');
  assert.deepEqual(seen, ['GET /v1/info', 'GET /v1/info']);
});

test('a write whose connection is dropped is not sent again: NODE_UNAVAILABLE', async () => {
  seen.length = 0;
  cut = 1;
  await assert.rejects(client.call('dkgAbort', { body: { sessionId: newSessionId() } }), { code: 'NODE_UNAVAILABLE' });
  assert.deepEqual(seen, ['POST /v1/dkg/abort']);
  // The next one, on a fresh connection, goes through.
  assert.deepEqual(await client.call('dkgAbort', { body: { sessionId: newSessionId() } }), { aborted: false });
});

test('a read cut off twice in a row is NODE_UNAVAILABLE: one retry, no more', async () => {
  seen.length = 0;
  cut = 2;
  await assert.rejects(client.info(), { code: 'NODE_UNAVAILABLE' });
  assert.equal(seen.length, 2);
  cut = 0;
});
