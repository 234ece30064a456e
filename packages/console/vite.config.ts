import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const NODE_ONLY = '\0wr-console-node-only';

/**
 * @wr/api and @wr/workflow give the console its schemas, templates and workflow runner, but some of their modules
 * import node built-ins (node:crypto for signing on the server side). The console signs with WebCrypto
 * (src/api/sign.ts) and never calls those: each built-in resolves here to a stand-in whose every export throws
 * if ever called, and `inspect.custom` is the symbol node itself uses.
 */
function nodeBuiltinsUnavailable(): Plugin {
  return {
    name: 'wr-console-node-builtins-unavailable',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? `${NODE_ONLY}:${id}` : null),
    load(id) {
      if (!id.startsWith(NODE_ONLY)) return null;
      const builtin = JSON.stringify(id.slice(NODE_ONLY.length + 1));
      const inspect = "{ custom: Symbol.for('nodejs.util.inspect.custom') }";
      const unavailable = `() => { throw new Error(${builtin} + '.' + String(name) + ' is not available in the console'); }`;
      return {
        code: `export const __builtin = new Proxy({}, { get: (_, name) => name === 'inspect' ? ${inspect} : ${unavailable} });`,
        syntheticNamedExports: '__builtin',
      };
    },
  };
}

// Bundled whole (no CDN, nothing fetched at run time) into dist/app, which the workspace serves at /. Modules of
// @wr/* count as free of side effects, so only what the console imports from them is kept.
export default defineConfig({
  plugins: [nodeBuiltinsUnavailable(), react()],
  base: '/',
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      treeshake: { moduleSideEffects: (id) => !/\/packages\/(common|api|workflow)\/dist\//.test(id) },
    },
  },
});
