/**
 * The threshold signature schemes wr speaks: the one list, which @wr/api's
 * contracts accept and @wr/crypto implements (a test holds crypto to it).
 */
export const SCHEME_NAMES = ['frost-ed25519', 'frost-secp256k1', 'frost-secp256k1-tr'] as const;
export type SchemeName = (typeof SCHEME_NAMES)[number];
