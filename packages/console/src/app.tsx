/**
 * The console's shell: sign-in (from the `#signin=` link `wr dev` prints, kept in IndexedDB as a non-extractable
 * key), the left navigation, and the page for the path. Paths are the browser's own (/nodes, /keys, ...); the
 * workspace answers index.html for each.
 */
import { useEffect, useMemo, useState, type MouseEvent, type ReactNode } from 'react';
import { ConsoleClient } from './api/client.js';
import { forgetKey, loadKey, saveKey } from './api/key-store.js';
import { importSeed, parseSignInFragment, type SigningKey } from './api/sign.js';
import { ApprovalsPage } from './pages/approvals.js';
import { AuditPage } from './pages/audit.js';
import { KeysPage } from './pages/keys.js';
import { NodesPage } from './pages/nodes.js';
import { WorkflowsPage } from './pages/workflows.js';
import { Loading, type PageProps } from './ui.js';

const PAGES: readonly { path: string; title: string; Page: (props: PageProps) => ReactNode }[] = [
  { path: '/nodes', title: 'Nodes', Page: NodesPage },
  { path: '/keys', title: 'Keys', Page: KeysPage },
  { path: '/audit', title: 'Audit log', Page: AuditPage },
  { path: '/approvals', title: 'Approvals', Page: ApprovalsPage },
  { path: '/workflows', title: 'Workflows', Page: WorkflowsPage },
];

type SignIn = { state: 'checking' } | { state: 'out'; problem?: string } | { state: 'in'; key: SigningKey };

/** The key from the link's fragment (then gone from the address bar and history), else the one kept from before. */
async function signInFromPage(): Promise<SigningKey | undefined> {
  if (!window.isSecureContext || !globalThis.crypto?.subtle)
    throw new Error(
      'This page came over plain HTTP from another host, and browsers sign only in secure pages (HTTPS, or localhost). ' +
        'Serve the workspace behind TLS (docs/deploy.md), or reach it as http://localhost through an SSH tunnel.',
    );
  const fromLink = parseSignInFragment(window.location.hash);
  if (fromLink) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
    const key = { apiKeyId: fromLink.apiKeyId, privateKey: await importSeed(fromLink.seed) };
    await saveKey(key);
    return key;
  }
  return loadKey();
}

function usePath(): [string, (path: string) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (next: string) => {
    history.pushState(null, '', next);
    setPath(next);
  };
  return [path, go];
}

function SignedOut({ problem }: { problem?: string | undefined }) {
  return (
    <main className="signin" aria-labelledby="signin-title">
      <div className="card">
        <div className="brand big">wr</div>
        <h1 id="signin-title">Sign in to the console</h1>
        {problem && (
          <p className="error-panel" role="alert">
            {problem}
          </p>
        )}
        <p>
          Open the sign-in link that <code>wr dev</code> printed (<code>WR_CONSOLE_URL</code> in <code>.wr/dev.env</code>). It carries a console API key in the
          part after <code>#</code>, which the browser never sends: this page keeps it as a key that can sign but cannot be read back.
        </p>
      </div>
    </main>
  );
}

export function App() {
  const [signIn, setSignIn] = useState<SignIn>({ state: 'checking' });
  const [path, go] = usePath();

  useEffect(() => {
    signInFromPage().then(
      (key) => setSignIn(key ? { state: 'in', key } : { state: 'out' }),
      (err: unknown) => setSignIn({ state: 'out', problem: (err as Error).message }),
    );
  }, []);

  const client = useMemo(() => (signIn.state === 'in' ? new ConsoleClient(signIn.key) : undefined), [signIn]);
  const current = PAGES.find((p) => path === p.path || path.startsWith(`${p.path}/`)) ?? PAGES[0]!;

  useEffect(() => {
    document.title = `${current.title} · wr console`;
  }, [current]);

  if (signIn.state === 'checking') return <Loading what="the console" />;
  if (signIn.state === 'out' || !client) return <SignedOut problem={signIn.state === 'out' ? signIn.problem : undefined} />;

  const signOut = async () => {
    await forgetKey();
    setSignIn({ state: 'out' });
  };
  const follow = (e: MouseEvent<HTMLAnchorElement>, to: string) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(to);
  };
  const { Page } = current;

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          wr <span>console</span>
        </div>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={p.path} aria-current={p === current ? 'page' : undefined} onClick={(e) => follow(e, p.path)}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <div className="muted small">Signed in as</div>
          <code data-testid="api-key-id">{signIn.key.apiKeyId}</code>
          <button type="button" className="button secondary small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        <Page client={client} path={path} go={go} />
      </main>
    </div>
  );
}
