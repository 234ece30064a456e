#!/usr/bin/env node
// The command is compiled TypeScript: before the first build there is nothing to run yet.
try {
  await import('../dist/src/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('/dist/src/main.js')) throw err;
  process.stderr.write('wr: not built yet: run `npm install` and then `npm start` (or `npm run build`) in the wr folder first\n');
  process.exitCode = 2;
}
