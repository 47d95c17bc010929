/**
 * What to undo, in reverse order of doing it: a launcher adds a step after starting each
 * thing, and on failure or stop runs them all once, last-added first (cluster file, then the
 * TaskManagers, the job manager, the cloud). A failing step does not stop the others.
 */
export class Teardown {
  private readonly steps: (() => Promise<unknown>)[] = [];
  private running: Promise<void> | undefined;

  /** True once `runOnce` was called: exits seen from then on are expected. */
  get started(): boolean {
    return this.running !== undefined;
  }

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Runs every step once; later calls share the first run. Rejects with an AggregateError when any step failed. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      const errors: unknown[] = [];
      for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
        await step().catch((err: unknown) => errors.push(err));
      }
      if (errors.length > 0) {
        throw new AggregateError(errors, `stopping failed: ${errors.map(String).join('; ')}`);
      }
    })();
    return this.running;
  }
}
