#!/usr/bin/env node
// Summarises .cpuprofile files: total sampled time, and the top self-time by function and by package/file, as
// shares of the busy (non-idle) time. node bench/support/profile-summary.mjs <file.cpuprofile>... [--top N]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
// --callers NAME: also the stacks (innermost first, 6 deep) that spent self time in functions named NAME.
const callersAt = args.indexOf('--callers');
const callers = callersAt >= 0 ? args.splice(callersAt, 2)[1] : undefined;
const depthAt = args.indexOf('--depth');
const DEPTH = depthAt >= 0 ? Number(args.splice(depthAt, 2)[1]) : 6;
for (const file of args) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = (p.endTime - p.startTime) / 1000;
  const fn = new Map();
  const where = new Map();
  let busy = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const idle = cf.functionName === '(idle)';
    if (!idle) busy += us;
    const url = cf.url.replace(/^file:\/\/\/work\/[^/]+\//, '').replace(/.*node_modules\//, 'nm/');
    const k = `${cf.functionName || '(anon)'} ${url}:${cf.lineNumber + 1}`;
    fn.set(k, (fn.get(k) ?? 0) + us);
    const w = idle
      ? '(idle)'
      : url.startsWith('nm/')
        ? url
            .split('/')
            .slice(0, url.startsWith('nm/@') ? 3 : 2)
            .join('/')
        : url || cf.functionName;
    where.set(w, (where.get(w) ?? 0) + us);
  }
  const show = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  console.log(`\n== ${file}: ${total.toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy`);
  console.log(' by package/file:\n' + show(where));
  console.log(' by function:\n' + show(fn));
  if (callers) {
    const stacks = new Map();
    for (const [id, us] of self) {
      if (byId.get(id).callFrame.functionName !== callers) continue;
      const frames = [];
      for (let at = parent.get(id); at !== undefined && frames.length < DEPTH; at = parent.get(at)) {
        const cf = byId.get(at).callFrame;
        if (cf.functionName === '(root)') break;
        frames.push(`${cf.functionName || '(anon)'}@${cf.url.split('/').slice(-1)[0]}:${cf.lineNumber + 1}`);
      }
      const k = frames.join(' < ');
      stacks.set(k, (stacks.get(k) ?? 0) + us);
    }
    console.log(` callers of ${callers}:\n` + show(stacks));
  }
}
