import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { Polled } from './poll';
import { formatDuration } from './format';

/** A coloured status label; the colour comes from the status name (see app.css). */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

/** Counts of tasks per state, as small coloured badges. */
export function TaskCounts({ tasks }: { tasks: Readonly<Record<string, number>> }) {
  const entries = Object.entries(tasks).filter(([, n]) => n > 0);
  if (entries.length === 0) return <span class="muted">–</span>;
  return (
    <span class="task-counts">
      {entries.map(([state, n]) => (
        <span key={state} class={`badge status-${state.toLowerCase()}`} title={state}>
          {n} {state.toLowerCase()}
        </span>
      ))}
    </span>
  );
}

export function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Stat({ label, value, testId }: { label: string; value: ComponentChildren; testId?: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/** What a polled view shows around its content: loading, or the error with the retry countdown. */
export function PollState<T>({ polled, what }: { polled: Polled<T>; what: string }) {
  if (polled.error) {
    const wait = polled.retryAt ? formatDuration(Math.max(0, polled.retryAt - Date.now())) : '';
    return (
      <div class="error-banner" role="alert">
        Could not load {what}: {polled.error.message}
        {wait ? ` (retrying in ${wait})` : ''}
      </div>
    );
  }
  if (polled.data === undefined) return <div class="muted">Loading {what}…</div>;
  return null;
}

/**
 * A scrolling text block that shows its end, as a tail should: it follows new lines while the
 * reader is at the bottom, and stays put once they scroll up to read.
 */
export function TailBlock({ children, testId }: { children: ComponentChildren; testId: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  });
  return (
    <pre
      class="log"
      data-testid={testId}
      ref={ref}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {children}
    </pre>
  );
}
