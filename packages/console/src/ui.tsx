/** The pieces every page shares: loading, empty and error states, a badge, a shortened value, facts, a pager. */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { asConsoleError, type ConsoleClient, type ConsoleError } from './api/client.js';

/** What the shell gives each page: the signed-in client, the browser's path, and a way to go to another. */
export interface PageProps {
  client: ConsoleClient;
  path: string;
  go(path: string): void;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

/**
 * An error as the workspace gave it: its code, its message (which says what to do) and the registry's hint. A call
 * refused for scope says so plainly: this console's key may not make it, and trying again will not change that.
 */
export function ErrorPanel({ error, onRetry }: { error: ConsoleError; onRetry?: () => void }) {
  const scope = error.code === 'PERMISSION_DENIED' ? /lacks the (\S+) scope/.exec(error.message)?.[1] : undefined;
  return (
    <div className="error-panel" role="alert" data-code={error.code}>
      {scope && (
        <p className="error-title" data-testid="scope-refused">
          This console&apos;s key lacks the <code>{scope}</code> scope, so this page cannot show it.
        </p>
      )}
      <p>
        <code className="code">{error.code}</code> {error.message}
      </p>
      {error.hint && <p className="hint">{error.hint}</p>}
      {error.requestId && <p className="muted small">request id {error.requestId}</p>}
      {onRetry && !scope && (
        <button type="button" className="button secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'warn' | 'info' | 'neutral'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A long value shortened in the middle; the whole of it in the title and for screen readers. */
export function Short({ value, keep = 10 }: { value: string; keep?: number }) {
  if (value.length <= keep * 2 + 1) return <code>{value}</code>;
  return (
    <code title={value} aria-label={value}>
      {value.slice(0, keep)}…{value.slice(-keep)}
    </code>
  );
}

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: ConsoleError } | { state: 'ok'; value: T };

/**
 * Runs `load` when its deps change; `reload` runs it again. The answer is kept with the deps it was loaded for, so
 * the page shows loading, not a stale answer, while deps that changed load.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [round, setRound] = useState(0);
  const [settled, setSettled] = useState<{ deps: unknown[]; result: Loaded<T> } | undefined>();
  const current = [...deps, round];
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setSettled({ deps: current, result: { state: 'ok', value } }),
      (err: unknown) => live && setSettled({ deps: current, result: { state: 'error', error: asConsoleError(err) } }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps, as useEffect takes them
  }, current);
  const fresh = settled !== undefined && settled.deps.length === current.length && settled.deps.every((d, i) => Object.is(d, current[i]));
  return [fresh ? settled.result : { state: 'loading' }, useCallback(() => setRound((r) => r + 1), [])];
}

/** SHA-256 of text, in hex, shown as a fingerprint: the first 16 bytes in groups of four hex digits. */
export async function fingerprint(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  const hex = Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)!.join(':');
}

/** Fields that hold ciphertext of a share or an identity: never drawn, only their size. */
const SEALED_FIELDS = /wrapped|identity|privatekey|encryptedprivate|blob|share$/i;

/** A value for display with every sealed field replaced by its length: nothing secret, nor any encrypted copy of one, is rendered. */
export function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SEALED_FIELDS.test(k) && typeof v === 'string' ? `‹sealed, ${v.length} characters›` : redacted(v)]),
    );
  }
  return value;
}

/** An audit entry's details, one field a line, long values shortened (the whole in their title). */
export function Details({ value }: { value: Record<string, unknown> }) {
  const shown = redacted(value) as Record<string, unknown>;
  return (
    <dl className="details-list">
      {Object.entries(shown).map(([k, v]) => {
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        return (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{text.length > 48 ? <Short value={text} keep={18} /> : <code>{text}</code>}</dd>
          </div>
        );
      })}
    </dl>
  );
}

/** Label and value pairs, as a definition list: a page's facts about one thing. */
export function Facts({ items, label, plain }: { items: [string, ReactNode][]; label?: string; plain?: boolean }) {
  return (
    <dl className={plain ? 'facts plain' : 'facts'} aria-label={label}>
      {items.map(([dt, dd]) => (
        <div key={dt}>
          <dt>{dt}</dt>
          <dd>{dd}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Where a paged list is: the cursor of each page seen so far (the first page's is `first`), so Previous goes back. */
export interface Pages<C> {
  at: C;
  number: number;
  back(): void;
  next(cursor: C): void;
  reset(): void;
}

export function usePages<C>(first: C): Pages<C> {
  const [stack, setStack] = useState<C[]>([first]);
  return {
    at: stack[stack.length - 1]!,
    number: stack.length,
    back: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    next: (cursor) => setStack((s) => [...s, cursor]),
    reset: () => setStack([first]),
  };
}

/** Previous and Next under a paged list; `next` is the next page's cursor, none on the last page. Drawn only when there is more than one page. */
export function Pager<C>({ label, pages, next }: { label: string; pages: Pages<C>; next: C | undefined }) {
  if (pages.number <= 1 && next === undefined) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button secondary" disabled={pages.number <= 1} onClick={pages.back}>
        Previous
      </button>
      <span>Page {pages.number}</span>
      <button type="button" className="button secondary" disabled={next === undefined} onClick={() => next !== undefined && pages.next(next)}>
        Next
      </button>
    </nav>
  );
}
