/**
 * Property-based tests (fast-check) of what a wrapped share goes through on
 * import, starting from a real share exported by the real network:
 *
 * (a) the envelope parser, openEnvelope from @wr/crypto, in process: any edit
 *     of a valid envelope is refused with its documented code, unless the
 *     bytes are unchanged; arbitrary input never gives an uncoded error;
 * (b) the import path through the workspace into node-4: any edit of the
 *     binary age file (re-armored), of the armored text, or of the envelope
 *     re-encrypted to node-4, is refused with a documented code or imports as
 *     the very same share (same keyId, alreadyPresent); never INTERNAL or an
 *     uncoded error; and the node keeps answering, holding what it held.
 *
 * Runs are bounded (numRuns, and a time limit per property) so the file stays
 * well under a minute; fast-check prints the seed and the shrunk edit list of
 * any counterexample.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { armor } from 'age-encryption';
import { unwrap, wrap } from '@wr/age';
import { WrError } from '@wr/common';
import { describeEnvelope, openEnvelope, type OpenedEnvelope } from '@wr/crypto';
import { ComponentModule, WorkspaceClient, type ComponentResult } from 'caller-sdk';
import { startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { failureCode, newEscrow } from './support/crash-inventory.js';
import { applyByteEdits, applyDocEdits, applyTextEdits, byteEdits, docEdits, textEdits } from './support/prop-mutations.js';

/** What an import may answer to a damaged wrapped share. */
const IMPORT_CODES = ['WRAPPED_SHARE_CORRUPT', 'NO_IDENTITY_MATCH', 'SHARE_INVALID', 'UNSUPPORTED_VERSION', 'INVALID_ARGUMENT'];
/** What the envelope checks may answer: the age layer is intact, so only these. */
const ENVELOPE_CODES = ['SHARE_INVALID', 'UNSUPPORTED_VERSION'];
const TIME_LIMIT_MS = 15_000;

let net: TestNetwork;
let strict: WorkspaceClient;
/** The plaintext envelope of a real export, and its parsed document. */
let envelope: Uint8Array;
let doc: Record<string, null>;
let fields: string[];
let reference: { description: string; shareHex: string };
/** The same share wrapped to node-4, its binary age file, and what its import gave. */
let wrapped: string;
let binary: Uint8Array;
let node4: string;
let baseline: ComponentResult<'IMPORT_KEY_SHARE'>;
let exporterKeys: string[];

const utf8 = (s: string) => new TextEncoder().encode(s);
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function summary(o: OpenedEnvelope): { description: string; shareHex: string } {
  return { description: JSON.stringify(describeEnvelope(o)), shareHex: Buffer.from(o.secret.signingShare.expose()).toString('hex') };
}

before(async () => {
  net = await startTestNetwork('property', { keep: Boolean(process.env['WR_KEEP_TEST_FILES']) });
  strict = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0, timeoutMs: 30_000 });
  const key = await strict.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  const escrow = await newEscrow();
  const toEscrow = await strict.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: escrow.recipient }).promise();
  envelope = await unwrap(toEscrow.wrappedKeyShare, { identities: [escrow.identity] });
  doc = JSON.parse(new TextDecoder().decode(envelope)) as Record<string, null>;
  fields = Object.keys(doc);
  const opened = openEnvelope(envelope);
  reference = summary(opened);
  opened.secret.signingShare.destroy();

  node4 = (await strict.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
  wrapped = (await strict.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: node4 }).promise()).wrappedKeyShare;
  binary = armor.decode(wrapped);
  baseline = await strict.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: wrapped, nodeId: 'node-4' }).promise();
  assert.equal(baseline.alreadyPresent, false);
  exporterKeys = (await strict.call(ComponentModule.LIST_NODES, {}).promise()).nodes.map((n) => n.signingKey);
});

after(async () => {
  await net?.cleanup();
});

/** Opens bytes as an envelope: refused with an envelope code, or accepted only if they are the original bytes, as the same share. */
function openOrRefuse(bytes: Uint8Array, codes: Record<string, number>): void {
  let opened: OpenedEnvelope;
  try {
    opened = openEnvelope(bytes);
  } catch (err) {
    assert.ok(err instanceof WrError, `uncoded error: ${String(err)}`);
    assert.ok(ENVELOPE_CODES.includes(err.code), `code ${err.code}: ${err.message}`);
    assert.equal(err.message.includes(reference.shareHex), false, 'the message quotes the signing share');
    codes[err.code] = (codes[err.code] ?? 0) + 1;
    return;
  }
  try {
    assert.ok(sameBytes(bytes, envelope), `an edited envelope was accepted: ${new TextDecoder().decode(bytes).slice(0, 200)}`);
    assert.deepEqual(summary(opened), reference, 'accepted as another share');
    codes['accepted'] = (codes['accepted'] ?? 0) + 1;
  } finally {
    opened.secret.signingShare.destroy();
  }
}

const runs = (numRuns: number) => ({ numRuns, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] });

test('(a) openEnvelope: a byte-level edit of a real envelope is refused with its code, unless the bytes are unchanged', (t) => {
  const codes: Record<string, number> = {};
  fc.assert(
    fc.property(byteEdits(64), (edits) => openOrRefuse(applyByteEdits(envelope, edits), codes)),
    runs(300),
  );
  t.diagnostic(JSON.stringify(codes));
  assert.ok((codes['SHARE_INVALID'] ?? 0) > 0);
});

test(
  '(a) openEnvelope: structured edits (a value, a near miss, a field dropped or ' +
    'added, key order, spacing, escapes) are refused unless the text is unchanged',
  (t) => {
    const codes: Record<string, number> = {};
    fc.assert(
      fc.property(docEdits(fields), (edits) => openOrRefuse(utf8(applyDocEdits(doc, edits)), codes)),
      runs(500),
    );
    t.diagnostic(JSON.stringify(codes));
    assert.ok((codes['UNSUPPORTED_VERSION'] ?? 0) + (codes['SHARE_INVALID'] ?? 0) > 0);
  },
);

test('(a) openEnvelope: arbitrary bytes, text and JSON, and arbitrary options, never give an uncoded error', () => {
  const codes: Record<string, number> = {};
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.string({ unit: 'binary', maxLength: 512 }).map(utf8),
    fc.jsonValue({ maxDepth: 3 }).map((v) => utf8(JSON.stringify(v))),
    // A document with the envelope's fields, each holding anything.
    fc.record(Object.fromEntries(fields.map((f) => [f, fc.jsonValue({ maxDepth: 2 })]))).map((d) => utf8(JSON.stringify(d))),
  );
  fc.assert(
    fc.property(input, (bytes) => openOrRefuse(bytes, codes)),
    runs(500),
  );

  // Options: anything at all is refused as INVALID_ARGUMENT or ignored; a trust list decides as it says.
  fc.assert(
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.record({ trustedExporterKeys: fc.anything() }),
        fc.record({ trustedExporterKeys: fc.array(fc.oneof(fc.constantFrom(...exporterKeys), fc.string())) }),
      ),
      (opts) => {
        let opened: OpenedEnvelope;
        try {
          opened = openEnvelope(envelope, opts as never);
        } catch (err) {
          assert.ok(err instanceof WrError, `uncoded error: ${String(err)}`);
          assert.ok(['INVALID_ARGUMENT', 'SHARE_INVALID'].includes(err.code), `code ${err.code}: ${err.message}`);
          const trusted = (opts as { trustedExporterKeys?: unknown } | null)?.trustedExporterKeys;
          if (err.code === 'SHARE_INVALID')
            assert.ok(Array.isArray(trusted) && !trusted.includes(JSON.parse(reference.description).exporterKey), 'refused although the exporter is trusted');
          return;
        }
        opened.secret.signingShare.destroy();
      },
    ),
    runs(300),
  );
});

/** Imports through the workspace: refused with one of `codes`, or the very same share (same keyId, alreadyPresent). */
async function importOrRefuse(wrappedKeyShare: string, codes: readonly string[], seen: Record<string, number>): Promise<void> {
  let r: ComponentResult<'IMPORT_KEY_SHARE'>;
  try {
    r = await strict.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-4' }).promise();
  } catch (err) {
    const code = failureCode(err);
    assert.ok(codes.includes(code), `import refused with ${code}: ${(err as Error).message}`);
    seen[code] = (seen[code] ?? 0) + 1;
    return;
  }
  assert.equal(r.keyId, baseline.keyId, 'an edited wrapped share imported as another share');
  assert.equal(r.alreadyPresent, true);
  seen['same share'] = (seen['same share'] ?? 0) + 1;
}

test('(b) import: edits of the binary age file, re-armored, are refused with a documented code or import the same share', async (t) => {
  const seen: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(byteEdits(200), (edits) => importOrRefuse(armor.encode(applyByteEdits(binary, edits)), IMPORT_CODES, seen)),
    runs(150),
  );
  t.diagnostic(JSON.stringify(seen));
});

test('(b) import: edits of the armored text are refused with a documented code or import the same share', async (t) => {
  const seen: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(textEdits(), (edits) => importOrRefuse(applyTextEdits(wrapped, edits), IMPORT_CODES, seen)),
    runs(150),
  );
  t.diagnostic(JSON.stringify(seen));
});

test('(b) import: edits of the envelope, re-encrypted to node-4, are refused by the envelope checks or import the same share', async (t) => {
  const seen: Record<string, number> = {};
  const edited = fc.oneof(
    byteEdits(64).map((e) => applyByteEdits(envelope, e)),
    docEdits(fields).map((e) => utf8(applyDocEdits(doc, e))),
  );
  await fc.assert(
    fc.asyncProperty(edited, async (bytes) => importOrRefuse(await wrap(bytes, [node4]), sameBytes(bytes, envelope) ? [] : ENVELOPE_CODES, seen)),
    runs(150),
  );
  t.diagnostic(JSON.stringify(seen));
});

test('after all that, node-4 still answers and holds exactly the one share it imported', async () => {
  const nodes = await strict.call(ComponentModule.LIST_NODES, {}).promise();
  assert.deepEqual(
    nodes.nodes.map((n) => n.status),
    ['up', 'up', 'up', 'up'],
  );
  const held = await strict.call(ComponentModule.LIST_KEYS, { nodeId: 'node-4' }).promise();
  assert.deepEqual(
    held.keys.map((k) => k.keyId),
    [baseline.keyId],
  );
  const again = await strict.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: wrapped, nodeId: 'node-4' }).promise();
  assert.equal(again.keyId, baseline.keyId);
  assert.equal(again.alreadyPresent, true);
});
