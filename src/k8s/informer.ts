// A resilient informer: list+watch through client-node, restarted with backoff after any error
// (client-node itself relists after 410 Gone; other errors stop its watch), plus a periodic resync that hands every
// cached object to the handler again (level-triggered reconcilers rely on it).
import { makeInformer, type KubeConfig, type KubernetesObject, type ListPromise, type Informer, type ObjectCache } from '@kubernetes/client-node';

const MAX_BACKOFF_MS = 4000;

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  resyncMs?: number;
  onEvent: (type: 'add' | 'update' | 'delete' | 'resync', obj: T) => void;
  onError?: (e: unknown) => void;
}

export class ResilientInformer<T extends KubernetesObject> {
  private informer: Informer<T> & ObjectCache<T>;
  private stopped = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;

  constructor(private readonly o: ResilientInformerOptions<T>) {
    this.informer = makeInformer(o.kc, o.path, o.list, o.labelSelector);
    this.informer.on('add', (obj) => { this.backoffMs = 500; o.onEvent('add', obj); });
    this.informer.on('update', (obj) => { this.backoffMs = 500; o.onEvent('update', obj); });
    this.informer.on('delete', (obj) => o.onEvent('delete', obj));
    this.informer.on('error', (e) => {
      if (this.stopped) return;
      o.onError?.(e);
      this.scheduleRestart();
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    if (this.o.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const obj of this.informer.list()) this.o.onEvent('resync', obj);
      }, this.o.resyncMs);
      this.resyncTimer.unref();
    }
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  /** The cached object, if the informer has it (it may lag the API server by a watch event). */
  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.backoffMs;
    // Capped low: after an API server restart the watches are back within seconds (a failed list
    // every few seconds while it is away costs nothing), not after a 30 s backoff.
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.informer.start().catch((e: unknown) => {
        this.o.onError?.(e);
        this.scheduleRestart();
      });
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer.stop();
  }
}
