/**
 * A small lab of Linux network namespaces, one per host: each host has its own address on one bridge (itself in a
 * namespace of its own, `hub`), joined by a veth pair whose hub end the test can take down to cut that host off. The
 * test process (in the root namespace) is joined to the bridge too, as the operator's machine, so it reaches every
 * host. Names carry the test's pid; leftovers of earlier runs whose process is gone are removed first.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const run = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const tryRun = (args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status === 0;

/** Why namespaces cannot be made here, or undefined when they can (root, iproute2, and a kernel that allows them). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'the ip command (iproute2) is not installed';
  const probe = `wr${process.pid}probe`;
  const ok = tryRun(['netns', 'add', probe]);
  tryRun(['netns', 'del', probe]);
  return ok ? undefined : 'this machine does not allow network namespaces (ip netns add failed)';
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes namespaces and root-namespace links left by earlier runs whose process is gone. */
export function removeLeftovers(): void {
  for (const line of run(['netns', 'list']).split('\n')) {
    const m = /^(wr(\d+)[a-z0-9]+)\b/.exec(line.trim());
    if (m && Number(m[2]) !== process.pid && !alive(Number(m[2]))) tryRun(['netns', 'del', m[1]!]);
  }
  for (const line of run(['-o', 'link', 'show']).split('\n')) {
    const m = /^\d+: (wr(\d+)[a-z0-9]+)[@:]/.exec(line);
    if (m && Number(m[2]) !== process.pid && !alive(Number(m[2]))) tryRun(['link', 'del', m[1]!]);
  }
}

export interface Host {
  name: string;
  /** The host's namespace. */
  ns: string;
  address: string;
  /** The hub end of the host's link: where it is cut and where traffic is captured. */
  hubLink: string;
}

export class Lab {
  readonly prefix = `wr${process.pid}`;
  readonly hub = `${this.prefix}hub`;
  readonly hosts = new Map<string, Host>();
  /** The operator's address, on the root namespace's own link to the bridge. */
  readonly operatorAddress = '10.77.0.1';
  #made: string[] = [];

  constructor() {
    removeLeftovers();
    this.#ns(this.hub);
    run(['-n', this.hub, 'link', 'set', 'lo', 'up']);
    run(['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    run(['-n', this.hub, 'link', 'set', 'br0', 'up']);
    // The operator: a veth from the root namespace to the bridge.
    const root = `${this.prefix}op`;
    run(['link', 'add', root, 'type', 'veth', 'peer', 'name', `${this.prefix}opx`]);
    this.#made.push(root);
    this.#plug(`${this.prefix}opx`, 'op');
    run(['addr', 'add', `${this.operatorAddress}/24`, 'dev', root]);
    run(['link', 'set', root, 'up']);
  }

  #ns(name: string): void {
    run(['netns', 'add', name]);
    this.#made.push(`ns:${name}`);
  }

  /** Moves a root-namespace link end into the hub, names it `hub`, and plugs it into the bridge. */
  #plug(link: string, hubName: string): void {
    run(['link', 'set', link, 'netns', this.hub]);
    run(['-n', this.hub, 'link', 'set', link, 'name', hubName]);
    run(['-n', this.hub, 'link', 'set', hubName, 'master', 'br0']);
    run(['-n', this.hub, 'link', 'set', hubName, 'up']);
  }

  /** A host: a namespace with loopback and eth0 at `address`/24 on the bridge. */
  addHost(name: string, address: string): Host {
    const ns = `${this.prefix}${name}`;
    this.#ns(ns);
    run(['-n', ns, 'link', 'set', 'lo', 'up']);
    const a = `${this.prefix}${name}a`;
    const b = `${this.prefix}${name}b`;
    run(['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    run(['link', 'set', b, 'netns', ns]);
    run(['-n', ns, 'link', 'set', b, 'name', 'eth0']);
    run(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    run(['-n', ns, 'link', 'set', 'eth0', 'up']);
    this.#plug(a, name);
    const host = { name, ns, address, hubLink: name };
    this.hosts.set(name, host);
    return host;
  }

  /** Cuts a host off the network (its link goes down at the bridge), or joins it again. */
  setLink(name: string, up: boolean): void {
    run(['-n', this.hub, 'link', 'set', this.hosts.get(name)!.hubLink, up ? 'up' : 'down']);
  }

  /** Removes every namespace and link this lab made (their processes must be stopped first). */
  remove(): void {
    for (const made of this.#made.reverse()) {
      if (made.startsWith('ns:')) tryRun(['netns', 'del', made.slice(3)]);
      else tryRun(['link', 'del', made]);
    }
    this.#made = [];
  }
}
