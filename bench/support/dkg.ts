/** wr's own 2-of-2 DKG in-process (@wr/crypto/test-dkg, fresh participants): keys for benchmarks. */
import type { DkgResult, SchemeName } from '@wr/crypto';
import { makeNodes, runDkg } from '@wr/crypto/test-dkg';

export async function oursKeys(scheme: SchemeName): Promise<DkgResult[]> {
  return runDkg(scheme, 2, await makeNodes(scheme, 2), 'bench-keys');
}
