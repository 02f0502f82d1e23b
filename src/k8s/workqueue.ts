// A keyed work queue: a key is processed by at most one worker at a time, repeated adds while it
// waits collapse into one, a key added while it runs is processed again afterwards, and failures
// are retried with per-key exponential backoff.
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly waiting: string[] = [];
  private active = 0;
  private stopped = false;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly concurrency = 4,
    private readonly onError: (key: string, e: unknown) => void = () => undefined,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.waiting.push(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    setTimeout(() => this.add(key), ms).unref();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.pending.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.handler(key);
      this.failures.delete(key);
    } catch (e) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.onError(key, e);
      this.addAfter(key, Math.min(250 * 2 ** n, 60_000));
    } finally {
      this.running.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  /** Resolves when nothing is queued or running (for tests and shutdown). */
  async drain(): Promise<void> {
    while (this.active > 0 || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 20));
  }

  stop(): void {
    this.stopped = true;
  }
}
