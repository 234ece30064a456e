import { relative } from 'node:path';
import { registerConsoleKey } from './console-key.js';
import { startLocalNetwork } from './network.js';
import { DEFAULT_LOG_ROTATION } from './rotating-log.js';

/** `wr dev` / `npm start`: the local network in the foreground until Ctrl-C. */
export async function runDevNetwork(opts: { dir: string; port: number; nodeCount: number }): Promise<void> {
  const rel = relative(process.cwd(), opts.dir) || '.';
  const rotation = `${DEFAULT_LOG_ROTATION.maxBytes / 2 ** 20} MiB, ${DEFAULT_LOG_ROTATION.files} old files kept`;
  process.stdout.write(`starting a workspace and ${opts.nodeCount} nodes (files in ${rel}/)...\n`);
  const net = await startLocalNetwork({
    ...opts,
    supervise: true,
    onEvent: (line) => process.stderr.write(`${line}\n`),
  });
  const consoleKey = await registerConsoleKey(net).catch(async (err: unknown) => {
    await net.stop();
    throw err;
  });
  const nodeIds = [...net.nodes.keys()];
  process.stdout.write(
    [
      '',
      'wr local network is up',
      `  workspace  ${net.baseUrl}`,
      `  nodes      ${nodeIds.map((id) => `${id} ${net.nodes.get(id)!.url}`).join(', ')}`,
      `             default target node: ${net.defaultTargetNode}`,
      `  API key    ${net.apiKey}  (the root admin key, every scope; made here, and no server has it)`,
      `  console    ${consoleKey.url}`,
      `             (signs this browser in with console key ${consoleKey.apiKeyId}; the part after # never reaches a server)`,
      `  env file   ${rel}/dev.env  (WR_BASE_URL, WR_API_KEY, WR_ADMIN_PUBLIC_KEY, WR_CONSOLE_URL; load it with: set -a; . ${rel}/dev.env; set +a)`,
      `  logs       ${rel}/logs/  (JSON lines; rotated at ${rotation}; WR_LOG_LEVEL=debug: a line per request)`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping: letting calls in flight finish...\n');
    net.stop().then(() => {
      process.stdout.write('stopped.\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
