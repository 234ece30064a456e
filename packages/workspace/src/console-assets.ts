/**
 * The web console at `/`: the files `npm run build` leaves in packages/console/dist/app, read once at start and
 * served from memory. Hashed assets are cached for good; index.html is revalidated and answers every path that
 * is not an API route or a file, so the console's own paths (/keys, /audit, ...) load it. Every answer carries a
 * Content-Security-Policy that lets the page load and call nothing but this workspace. Without a built console,
 * `/` says how to build it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WrError } from '@wr/common';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** From packages/workspace/dist/src to packages/console/dist/app. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist/app/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Vite names the files under assets/ by their content's hash: a new build is new names, so these never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Asset {
  body: Buffer;
  type: string;
  cache: string;
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = '/' + relative(dir, path).split(sep).join('/');
        const type = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
        assets.set(url, { body: readFileSync(path), type, cache: url.startsWith('/assets/') ? IMMUTABLE : 'no-cache' });
      }
    }
  };
  walk(dir);
  return assets;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>wr console not built</title></head>
<body><h1>The wr console is not built</h1><p>Run <code>npm run build</code> in the repository, then restart the workspace.</p></body></html>`;

/** The API's own paths: an unknown one is a 404 error body, never the console's page. */
const API_PATH = /^\/(v1|openapi\.json|metrics|healthz|readyz)(\/|$)/;

/** Serves the console at `/` (and index.html for its own paths) on `app`. */
export function serveConsole(app: FastifyInstance, dir: string = CONSOLE_DIR): void {
  const assets = existsSync(join(dir, 'index.html')) ? readAssets(dir) : undefined;
  const send = (reply: FastifyReply, asset: Asset) =>
    reply.headers({ ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': asset.cache }).send(asset.body);

  const page = async (req: { url: string }, reply: FastifyReply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0]!);
    } catch {
      throw new WrError('NOT_FOUND', 'no such path: it is not valid percent-encoding');
    }
    if (API_PATH.test(path)) throw new WrError('NOT_FOUND', `no route GET ${path}`);
    if (!assets)
      return reply
        .status(404)
        .headers({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .send(NOT_BUILT);
    const file = assets.get(path);
    if (file) return send(reply, file);
    // A missing file (it has an extension, or is under assets/) is a 404, not the page: a stale tab asking for old assets sees it.
    if (extname(path) !== '' || path.startsWith('/assets/')) throw new WrError('NOT_FOUND', `no console file ${path}: reload the page`);
    return send(reply, assets.get('/index.html')!);
  };
  app.get('/', page);
  app.get('/*', page);
}
