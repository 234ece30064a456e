import type { Command } from 'commander';
import { WrError } from '@wr/common';
import type { EnvelopeDescription } from '@wr/crypto';
import { inspectWrappedShare, type InspectReport } from '../offline/inspect.js';
import { printResult } from './context.js';
import { collect, readInput } from './options.js';
import { keyValues } from './render.js';
import { readIdentities, withIdentityOptions } from './secret-inputs.js';

function envelopeText(e: EnvelopeDescription): string {
  const shares = Object.entries(e.verifyingShares);
  return keyValues(
    [
      ['version', String(e.version)],
      ['ciphersuite', e.ciphersuite],
      ['group public key', e.groupPublicKey],
      ['threshold', `${e.minSigners} of ${e.maxSigners}`],
      ['identifier', e.identifier],
      ['signing share', '(hidden)'],
      ['source', `${e.source.nodeId} ${e.source.keyId}`],
      ['epoch', String(e.epoch)],
      ['exported at', e.exportedAt],
      ['exporter key', e.exporterKey],
      ...shares.map(([id, share], i): [string, string] => [i === 0 ? 'verifying shares' : '', `${id}  ${share}`]),
    ],
    '  ',
  );
}

function reportText(file: string, r: InspectReport): string {
  const width = Math.max(...r.checks.map((c) => c.check.length));
  const checks = r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(width)}${c.detail ? `  ${c.detail}` : ''}`.trimEnd());
  const failed = r.checks.filter((c) => !c.ok).length;
  return [
    `wrapped key share ${file}`,
    r.envelope ? envelopeText(r.envelope).trimEnd() : '  (contents not shown: the share failed its checks)',
    'checks',
    ...checks,
    failed === 0 ? `all ${r.checks.length} checks passed` : `${failed} of ${r.checks.length} checks failed`,
    '',
  ].join('\n');
}

export function registerInspectCommand(share: Command): void {
  withIdentityOptions(
    share
      .command('inspect')
      .description('offline: decrypt a wrapped share locally, show its public parts and run every check import runs; the signing share stays hidden')
      .argument('<file>', 'the wrapped share (armored or binary age file; - for stdin)'),
  )
    .option('--exporter-key <hex>', "also require the exporter to be this node signing key (LIST_NODES' signingKey); repeat for more", collect)
    .addHelpText(
      'after',
      '\nExit code 0 when every check passes, 9 when one fails, 7 when no identity opens the file, 8 when it is damaged.\nNo network is used.',
    )
    .action(async (file: string, opts: { identity?: string[]; passphraseFile?: string; exporterKey?: string[] }, cmd: Command) => {
      const identities = await readIdentities(opts.identity ?? [], opts.passphraseFile);
      let report: InspectReport;
      try {
        report = await inspectWrappedShare(readInput(file, 'file'), identities, opts.exporterKey ?? []);
      } finally {
        identities.forEach((i) => i.destroy());
      }
      printResult(cmd, { file, ok: report.ok, checks: report.checks, ...(report.envelope ? { envelope: report.envelope } : {}) }, () =>
        reportText(file, report),
      );
      if (!report.ok) {
        const failed = report.checks.filter((c) => !c.ok);
        const unsupported = failed.some((c) => c.code === 'UNSUPPORTED_VERSION');
        throw new WrError(unsupported ? 'UNSUPPORTED_VERSION' : 'SHARE_INVALID', `${file} failed ${failed.map((c) => c.check).join(', ')}`);
      }
    });
}
