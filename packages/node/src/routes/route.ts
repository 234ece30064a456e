import type { FastifyInstance } from 'fastify';
import { WrError } from '@wr/common';
import { measured } from '@wr/server';
import type { NodeContext } from '../context.js';
import { NODE_OPS, type NodeOp, type NodeOpBody, type NodeOpParams, type NodeOpQuery, type NodeOpResponse } from '@wr/api';

export interface OpRequest<K extends NodeOp> {
  params: NodeOpParams<K>;
  body: NodeOpBody<K>;
  query: NodeOpQuery<K>;
}

/**
 * Registers one operation of the node protocol (@wr/api NODE_OPS): its method
 * and path, its request validated and its answer trimmed by the contract's
 * schemas, its handler typed by them.
 */
export function route<K extends NodeOp>(app: FastifyInstance, name: K, handler: (req: OpRequest<K>) => Promise<NodeOpResponse<K>>): void {
  const op: { method: 'GET' | 'POST'; path: string; params?: object; query?: object; body?: object; response: object } = NODE_OPS[name];
  app.route({
    method: op.method,
    url: op.path,
    schema: {
      ...(op.params ? { params: op.params } : {}),
      ...(op.query ? { querystring: op.query } : {}),
      ...(op.body ? { body: op.body } : {}),
      response: { 200: op.response },
    },
    handler: (req) => handler(req as unknown as OpRequest<K>),
  });
}

/**
 * A CPU-heavy protocol step (age or FROST work): run within the node's bound on such steps (RESOURCE_EXHAUSTED beyond
 * it, before anything is done), timed and counted as `operation`.
 */
export function heavyStep<T>(ctx: NodeContext, operation: string, step: () => Promise<T>): Promise<T> {
  return measured(ctx.http, operation, () => ctx.steps.run(step));
}

/**
 * A signed call's one use at this node (`consume(use)`, from Authorizer.authorizeBatch), spent in the same group
 * commit as the call's writes rather than in a commit of its own. `prepare` runs the step's checks and slow work;
 * `write` its writes, with the use, all or none. A call refused or failing on the way still spends its use, so it
 * never runs later, and a replay is REPLAYED whatever else is wrong with it: as if the use were spent first.
 */
export async function spendingUse<P, T>(
  ctx: NodeContext,
  consume: (use: string) => void,
  use: string,
  prepare: () => Promise<P>,
  write: (prepared: P) => T,
): Promise<T> {
  let prepared: P;
  try {
    prepared = await prepare();
  } catch (err) {
    await ctx.commits.run(() => consume(use));
    throw err;
  }
  try {
    return await ctx.commits.run(() => {
      consume(use);
      return write(prepared);
    });
  } catch (err) {
    if (!(err instanceof WrError && err.code === 'REPLAYED')) await ctx.commits.run(() => consume(use));
    throw err;
  }
}
