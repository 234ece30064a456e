/**
 * A workspace that cannot start says why with a code: its port taken, a
 * setting that does not fit, a data directory (SQLite) or a database
 * (PostgreSQL) it cannot use.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { WrError } from '@wr/common';
import { buildWorkspace, startWorkspace } from '../src/server.js';
import { eachStore, newApiKey, startTestWorkspace, testDatabase, type StoreKind, type TestWorkspace } from './support.js';

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  before(async () => {
    ws = await startTestWorkspace({ store: kind });
  });
  after(() => ws?.close());

  test('a port already taken is PORT_IN_USE', async () => {
    const elsewhere = (name: string) => join(dirname(ws.config.databaseFile), name);
    const running = await startWorkspace({ ...ws.config, databaseFile: elsewhere('first.db') });
    try {
      const port = Number(new URL(running.url).port);
      await assert.rejects(startWorkspace({ ...ws.config, port, databaseFile: elsewhere('second.db') }), {
        code: 'PORT_IN_USE',
        message: `port ${port} on 127.0.0.1 is already in use: stop what runs there, or choose another port`,
      });
    } finally {
      await running.close();
    }
  });

  test('settings that do not fit are CONFIG_INVALID, naming the setting', async () => {
    await assert.rejects(buildWorkspace({ ...ws.config, defaultTargetNode: 'node-9' }), { code: 'CONFIG_INVALID', param: 'defaultTargetNode' });
    const signedByAnother = newApiKey().signRoster(JSON.parse(ws.config.roster.roster));
    await assert.rejects(buildWorkspace({ ...ws.config, roster: signedByAnother }), { code: 'CONFIG_INVALID', param: 'roster' });
    const stranger = { nodeId: 'node-9', url: 'http://127.0.0.1:9', token: ws.config.nodes[0]!.token };
    await assert.rejects(buildWorkspace({ ...ws.config, nodes: [...ws.config.nodes, stranger] }), { code: 'CONFIG_INVALID', param: 'nodes' });
    await assert.rejects(buildWorkspace({ ...ws.config, callLimits: { maxInFlight: 0 } }), { code: 'CONFIG_INVALID', param: 'callLimits.maxInFlight' });
    await assert.rejects(buildWorkspace({ ...ws.config, nodeRequestLimits: { maxQueued: 1.5 } }), {
      code: 'CONFIG_INVALID',
      param: 'nodeRequestLimits.maxQueued',
    });
  });

  // workspace.db's: on PostgreSQL, the state is in the database.
  if (kind === 'sqlite') {
    test('a data directory it cannot use is DATA_DIR_UNUSABLE', async () => {
      const notADir = join(dirname(ws.config.databaseFile), 'a-file');
      writeFileSync(notADir, '');
      await assert.rejects(buildWorkspace({ ...ws.config, databaseFile: join(notADir, 'workspace.db') }), { code: 'DATA_DIR_UNUSABLE' });
    });
  }

  if (kind === 'postgres') {
    test('a database it cannot use is CONFIG_INVALID naming the setting, its URL told without the password', async () => {
      const { url } = await testDatabase();
      const withPassword = (u: string, path?: string) => {
        const parsed = new URL(u);
        parsed.password = 'hunter2-not-to-be-shown';
        if (path) parsed.pathname = path;
        return parsed.toString();
      };
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const cases = [
        { databaseUrl: withPassword(`postgres://wr@127.0.0.1:${port}/wr`), says: new RegExp(`cannot connect to postgres://wr@127\\.0\\.0\\.1:${port}/wr `) },
        { databaseUrl: withPassword(url, '/no_such_database'), says: /cannot connect to postgres:\/\/wr@127\.0\.0\.1:\d+\/no_such_database .*does not exist/ },
      ];
      for (const { databaseUrl, says } of cases) {
        const err = await buildWorkspace({ ...ws.config, databaseUrl }).then(
          () => assert.fail('started'),
          (e: WrError) => e,
        );
        assert.deepEqual([err.code, err.param], ['CONFIG_INVALID', 'database']);
        assert.match(err.message, says);
        assert.doesNotMatch(err.message, /hunter2/);
      }
    });
  }
}

eachStore(suite);
