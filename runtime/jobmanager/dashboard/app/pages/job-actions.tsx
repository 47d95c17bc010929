import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { StatusBadge } from '../components';
import type { JobSummary, SavepointRequestStatus } from '../types';
import { TERMINAL_JOB_STATUSES } from '../types';

/** How often a savepoint request's status is asked for while it is in progress. */
const REQUEST_POLL_MS = 700;

type Action = 'savepoint' | 'stop' | 'cancel';

/** What the last action did: shown beside the buttons until the next one starts. */
interface Progress {
  readonly action: Action;
  readonly status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'REQUESTED';
  readonly message?: string;
}

const LABELS: Record<Action, string> = {
  savepoint: 'Savepoint',
  stop: 'Stop with savepoint',
  cancel: 'Cancel',
};

/**
 * A job's actions: take a savepoint and stop with a savepoint while it is RUNNING (and
 * checkpoints), cancel until
 * it ends. Each asks for confirmation in the page first, then shows its progress and result
 * (the savepoint's location or why it failed). Savepoint and stop are asynchronous on the job
 * manager: they answer a request id whose status is polled (`GET /jobs/:id/savepoints/:requestId`).
 */
export function JobActions({ job, savepoints }: { job: JobSummary; savepoints: boolean }) {
  const [confirming, setConfirming] = useState<Action | undefined>();
  const [drain, setDrain] = useState(false);
  const [progress, setProgress] = useState<Progress | undefined>();
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const update = (p: Progress): void => {
    if (mounted.current) setProgress(p);
  };
  const running = job.status === 'RUNNING';
  const checkpoints = useCheckpointing(job.jobId, savepoints && running);
  const cancellable = !TERMINAL_JOB_STATUSES.includes(job.status) && job.status !== 'CANCELLING';
  const busy = progress?.status === 'IN_PROGRESS';
  const start = (action: Action): void => {
    setConfirming(undefined);
    update({ action, status: 'IN_PROGRESS' });
    void runAction(job.jobId, action, drain, update);
  };
  const button = (action: Action, shown: boolean) =>
    shown && (
      <button
        class={action === 'savepoint' ? '' : 'danger'}
        disabled={busy}
        data-testid={`action-${action}`}
        onClick={() => setConfirming(action)}
      >
        {LABELS[action]}
      </button>
    );
  return (
    <span class="actions" data-testid="job-actions">
      {button('savepoint', savepoints && running && checkpoints)}
      {button('stop', savepoints && running && checkpoints)}
      {button('cancel', cancellable)}
      {confirming && (
        <ConfirmDialog
          question={question(confirming, job.name)}
          confirmLabel={confirming === 'cancel' ? 'Yes, cancel' : `Yes, ${LABELS[confirming].toLowerCase()}`}
          danger={confirming !== 'savepoint'}
          onConfirm={() => start(confirming)}
          onDismiss={() => setConfirming(undefined)}
        >
          {confirming === 'stop' && (
            <label class="small">
              <input type="checkbox" checked={drain} onChange={(e) => setDrain(e.currentTarget.checked)} />{' '}
              drain: end the input first (event-time windows fire)
            </label>
          )}
        </ConfirmDialog>
      )}
      {progress && <ActionResult progress={progress} />}
    </span>
  );
}

/**
 * Whether the job checkpoints (only then can it take a savepoint), asked once per job: its
 * settings do not change while it runs. Until the answer, or when it cannot be had, true: the
 * job manager then refuses a savepoint with a message saying why.
 */
function useCheckpointing(jobId: string, ask: boolean): boolean {
  const [enabled, setEnabled] = useState(true);
  useEffect(() => {
    if (!ask) return undefined;
    let stopped = false;
    api<{ enabled: boolean }>(`/jobs/${encodeURIComponent(jobId)}/checkpoints/config`).then(
      (config) => {
        if (!stopped) setEnabled(config.enabled);
      },
      () => undefined,
    );
    return () => {
      stopped = true;
    };
  }, [jobId, ask]);
  return enabled;
}

function question(action: Action, name: string): string {
  if (action === 'cancel') return `Cancel job “${name}”?`;
  if (action === 'stop') return `Stop job “${name}” with a savepoint?`;
  return `Take a savepoint of job “${name}”?`;
}

/** Calls the action's route and, for the savepoint ones, polls the request until it ends. */
async function runAction(
  jobId: string,
  action: Action,
  drain: boolean,
  update: (p: Progress) => void,
): Promise<void> {
  const job = `/jobs/${encodeURIComponent(jobId)}`;
  try {
    if (action === 'cancel') {
      await api(`${job}?mode=cancel`, { method: 'PATCH' });
      update({ action, status: 'REQUESTED', message: 'cancel requested' });
      return;
    }
    const { requestId } =
      action === 'savepoint'
        ? await api<{ requestId: string }>(`${job}/savepoints`, { method: 'POST', body: {} })
        : await api<{ requestId: string }>(`${job}/stop`, { method: 'POST', body: { drain } });
    for (;;) {
      const status = await api<SavepointRequestStatus>(`${job}/savepoints/${encodeURIComponent(requestId)}`);
      if (status.status === 'COMPLETED')
        return update({ action, status: 'COMPLETED', message: status.location });
      if (status.status === 'FAILED')
        return update({ action, status: 'FAILED', message: status.failureCause?.message ?? 'failed' });
      update({ action, status: 'IN_PROGRESS' });
      await new Promise((resolve) => setTimeout(resolve, REQUEST_POLL_MS));
    }
  } catch (err) {
    update({ action, status: 'FAILED', message: (err as Error).message });
  }
}

function ActionResult({ progress }: { progress: Progress }) {
  return (
    <span class="action-result" data-testid="action-result" data-action={progress.action}>
      <span class="muted">{LABELS[progress.action]}:</span> <StatusBadge status={progress.status} />{' '}
      {progress.message && (
        <span class={progress.status === 'FAILED' ? 'error-text' : 'mono'} data-testid="action-message">
          {progress.message}
        </span>
      )}
    </span>
  );
}

/**
 * A small confirmation dialog in the page (never the browser's `confirm`): the question, an
 * optional body, the confirming button (focused) and a way back; Escape dismisses it.
 */
export function ConfirmDialog(props: {
  question: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onDismiss: () => void;
  children?: ComponentChildren;
}) {
  const confirm = useRef<HTMLButtonElement>(null);
  const dismiss = useRef(props.onDismiss);
  dismiss.current = props.onDismiss;
  // Layout effects run as soon as the dialog is in the DOM, so a key pressed right after the
  // click that opened it already finds the focus and the Escape listener in place; the listener
  // is on the document so Escape works wherever the focus went.
  useLayoutEffect(() => {
    confirm.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') dismiss.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="confirm-dialog" role="dialog" aria-label={props.question} data-testid="confirm-dialog">
      <div class="confirm-question">{props.question}</div>
      {props.children}
      <div class="confirm-buttons">
        <button ref={confirm} class={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
        <button onClick={props.onDismiss}>No</button>
      </div>
    </div>
  );
}
