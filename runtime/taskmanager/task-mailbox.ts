import type { OperatorMailbox } from '../api/operators/stream-operator';
import type { StreamNode } from '../graph/stream-graph';
import { attributeError } from './chain-member';
import type { CallbackGate } from './task-processing-time';

/**
 * The task's mailbox for operators (Flink's MailboxExecutor): work posted from outside a call
 * into an operator (a settled promise) runs on the task thread in a turn of its own, between
 * turns of input, like processing-time callbacks. It also counts the operators that paused the
 * task's input (see `OperatorMailbox.pauseInput`).
 */
export class TaskMailbox {
  private readonly mails: (() => void)[] = [];
  private scheduled = false;
  private readonly pausing = new Set<string>();

  constructor(
    /** 'defer' keeps mails until `resume`; 'drop' discards them. */
    private readonly gate: CallbackGate,
    private readonly beforeMail: () => void,
    private readonly fail: (err: unknown) => void,
    private readonly addBusyMs: (ms: number) => void,
    /** The input was paused by the first operator, or resumed by the last one. */
    private readonly onPausedChange: (paused: boolean) => void,
  ) {}

  /** True while any operator holds the task's input. */
  get inputPaused(): boolean {
    return this.pausing.size > 0;
  }

  /** The mailbox as the operator of `node` sees it: what it posts is attributed to it. */
  forOperator(node: Pick<StreamNode, 'id' | 'name'>): OperatorMailbox {
    return {
      execute: (action) =>
        this.post(() => {
          try {
            action();
          } catch (err) {
            throw attributeError(err, node);
          }
        }),
      pauseInput: (paused) => this.setPaused(node.id, paused),
    };
  }

  /** Runs the mails that waited for the task to start. */
  resume(): void {
    this.schedule();
  }

  private post(mail: () => void): void {
    this.mails.push(mail);
    this.schedule();
  }

  private setPaused(operatorId: string, paused: boolean): void {
    const before = this.pausing.size;
    if (paused) this.pausing.add(operatorId);
    else this.pausing.delete(operatorId);
    if ((before === 0) !== (this.pausing.size === 0)) this.onPausedChange(this.pausing.size > 0);
  }

  private schedule(): void {
    if (this.scheduled || this.mails.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const verdict = this.gate();
    if (verdict === 'defer') return; // `resume` schedules them
    if (verdict === 'drop') {
      this.mails.length = 0;
      return;
    }
    const started = performance.now();
    // Only the mails posted so far: what they post runs in the next turn, after input had one.
    const batch = this.mails.splice(0, this.mails.length);
    try {
      for (const mail of batch) {
        this.beforeMail();
        mail();
      }
    } catch (err) {
      this.mails.length = 0;
      this.fail(err);
      return;
    } finally {
      this.addBusyMs(performance.now() - started);
    }
    this.schedule();
  }
}
