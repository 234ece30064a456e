import { AUTH_HEADERS, IDEMPOTENCY_KEY, type CallerAuth, type ComponentName } from '@wr/api';
import { WrError } from '@wr/common';
import { ApiKeyRegistry, checkFresh, type Caller } from '@wr/server';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
    callerAuth?: CallerAuth;
  }
}

const IDEMPOTENCY_KEY_FORMAT = new RegExp(IDEMPOTENCY_KEY);

const header = (req: FastifyRequest, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Before the body is read: a registered, live key, a time within the window,
 * and the scope the component needs. Anything else is refused at once.
 */
export function admitCall(registry: ApiKeyRegistry, req: FastifyRequest, component: ComponentName): void {
  const apiKeyId = header(req, AUTH_HEADERS.apiKeyId);
  const timestamp = header(req, AUTH_HEADERS.timestamp);
  if (!apiKeyId || !timestamp || !header(req, AUTH_HEADERS.signature)) {
    throw new WrError(
      'UNAUTHENTICATED',
      'this call is not signed: call through caller-sdk or the wr CLI with WR_API_KEY set (the API key signs each call and is never sent)',
    );
  }
  const caller = registry.signer(apiKeyId);
  checkFresh(Number(timestamp), Date.now());
  // A request for approval needs the scope of the call it holds: checked once that is read.
  if (component !== 'REQUEST_APPROVAL') ApiKeyRegistry.requireScope(caller, component);
  const required = registry.requiredApprovals(component);
  if (required > 0) {
    throw new WrError(
      'APPROVAL_REQUIRED',
      `the network policy holds ${component} for ${required} admin approval${required > 1 ? 's' : ''}: ` +
        `submit it with REQUEST_APPROVAL (wr approvals request ${component} ...)`,
    );
  }
  req.caller = caller;
}

/** Once the body is in: the signature over it, and the signed call kept to hand on to nodes. */
export function verifyCall(registry: ApiKeyRegistry, req: FastifyRequest, component: ComponentName): void {
  const idempotencyKey = header(req, AUTH_HEADERS.idempotencyKey) ?? '';
  if (idempotencyKey !== '' && !IDEMPOTENCY_KEY_FORMAT.test(idempotencyKey)) {
    throw new WrError('INVALID_ARGUMENT', 'Idempotency-Key: use 1 to 128 letters, digits or _ . : -', { param: 'Idempotency-Key' });
  }
  const auth: CallerAuth = {
    apiKeyId: header(req, AUTH_HEADERS.apiKeyId)!,
    component,
    idempotencyKey,
    timestamp: Number(header(req, AUTH_HEADERS.timestamp)),
    body: req.rawBody ?? '',
    signature: header(req, AUTH_HEADERS.signature)!,
  };
  registry.verifySignature(auth);
  req.callerAuth = auth;
}
