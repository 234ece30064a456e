export {
  ENVELOPE_SIGNATURE_DOMAIN,
  ENVELOPE_TYPE,
  ENVELOPE_VERSION,
  checkEnvelope,
  describeEnvelope,
  openEnvelope,
  sealEnvelope,
  type EnvelopeDescription,
  type EnvelopeSource,
  type OpenEnvelopeOptions,
  type OpenedEnvelope,
  type SealEnvelopeInput,
} from './envelope.js';
export { unwrapShare, wrapShare } from './wrap.js';
