// The OpsRequest watcher: every OpsRequest gets exactly one workflow (id from namespace, name and
// UID; started idempotently), recorded in its status with a Web UI link. A finalizer makes sure
// deleting an OpsRequest cancels its run (the run still resumes the database) before it goes away.
import type { Client } from '@temporalio/client';
import type { KubernetesObject } from '@kubernetes/client-node';
import { APPROVED_BY_ANNOTATION } from '../api/approval.ts';
import { API_VERSION, GROUP, VERSION } from '../api/common.ts';
import { kindInfo } from '../api/kinds.ts';
import { terminalPhases, type OpsRequestStatus } from '../api/opsrequests.ts';
import type { Config } from '../config.ts';
import { mergePatch } from '../k8s/apply.ts';
import { apiErrorMessage, isConflict, isNotFound, type Kube } from '../k8s/client.ts';
import { ResilientInformer } from '../k8s/informer.ts';
import { getCustom, updateStatus } from '../k8s/resources.ts';
import { WorkQueue } from '../k8s/workqueue.ts';
import type { Logger } from '../logger.ts';
import { workflowIdFor } from '../temporal/ids.ts';
import { startOpsWorkflow } from '../temporal/client.ts';
import { workflowTypeFor } from '../api/registry.ts';
import { opsInputFrom } from '../temporal/input.ts';
import { approveSignal, turnSignal, type OpsInput } from '../workflows/shared.ts';
import { nextInLine } from '../api/queue-order.ts';
import { alwaysLeader, type Leadership } from '../k8s/leader-election.ts';
import { isNotLeader } from '../k8s/write-fence.ts';
import { followRun } from './closed-runs.ts';
import { TemporalRuns, type RunStatusReader } from './run-status.ts';

export const FINALIZER = 'opsflow.dev/workflow';
import { opsKinds } from '../api/registry.ts';

type Ops = KubernetesObject & { spec: OpsInput['spec']; status?: OpsRequestStatus };

export interface OpsWatcherOptions {
  kube: Kube;
  client: Client;
  temporal: Config['temporal'];
  log: Logger;
  resyncMs?: number;
  namespace?: string;
  /** Only the leader starts runs and writes (default: always the leader). */
  leadership?: Leadership;
  runs?: RunStatusReader;
  /** How often an open run is checked (closed from outside, workflow task failing). */
  runCheckMs?: number;
}

export class OpsWatcher {
  private readonly queue: WorkQueue;
  private readonly informers: Array<ResilientInformer<KubernetesObject>> = [];
  private readonly workflowIds = new Map<string, string>();
  private readonly runs: RunStatusReader;
  private readonly runChecks = new Set<string>();
  /** Ended requests (key → UID) whose successor in the queue was nudged; forgotten with the object. */
  private readonly nudged = new Map<string, string>();

  constructor(private readonly o: OpsWatcherOptions) {
    this.runs = o.runs ?? new TemporalRuns(o.client);
    this.queue = new WorkQueue((k) => this.reconcile(k).catch((e: unknown) => { if (!isNotFound(e)) throw e; }), 8, (k, e) => {
      // Conflicts are normal when a run's progress write lands at the same time; a lost leadership too.
      (isConflict(e) || isNotLeader(e) ? o.log.debug : o.log.warn)('opsrequest reconcile failed; retrying', { ...this.logFields(k), error: apiErrorMessage(e) });
    });
  }

  async start(): Promise<void> {
    const { kube } = this.o;
    for (const kind of opsKinds) {
      const plural = kindInfo(kind).plural;
      this.informers.push(new ResilientInformer<KubernetesObject>({
        kc: kube.kc,
        path: `/apis/${GROUP}/${VERSION}/${plural}`,
        list: async () => (await kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as never,
        resyncMs: this.o.resyncMs,
        onEvent: (_type, obj) => {
          const ns = obj.metadata?.namespace ?? '';
          if (this.o.namespace && ns !== this.o.namespace) return;
          this.queue.add(`${kind}/${ns}/${obj.metadata?.name ?? ''}`);
        },
        onError: (e) => this.o.log.warn('opsrequest watch failed; restarting', { kind, error: apiErrorMessage(e) }),
      }));
    }
    await Promise.all(this.informers.map((i) => i.start()));
    this.o.log.info('opsrequest watcher started', { kinds: opsKinds });
  }

  /** Every log line about an OpsRequest names it (namespace/name) and, once known, its workflow id. */
  private logFields(key: string): Record<string, string> {
    const [kind = '', namespace = '', name = ''] = key.split('/');
    const workflowId = this.workflowIds.get(key);
    return { opsRequest: `${namespace}/${name}`, kind, ...(workflowId ? { workflowId } : {}) };
  }

  /** The informer (and cache) of an OpsRequest kind. */
  private informerOf(kind: string): ResilientInformer<KubernetesObject> | undefined {
    return this.informers[opsKinds.indexOf(kind as (typeof opsKinds)[number])];
  }

  /** Hands every cached OpsRequest to the queue again (a new leader works from its warm caches). */
  resync(): void {
    for (const [i, informer] of this.informers.entries()) {
      for (const obj of informer.list()) {
        const ns = obj.metadata?.namespace ?? '';
        if (!this.o.namespace || ns === this.o.namespace) this.queue.add(`${opsKinds[i] ?? ''}/${ns}/${obj.metadata?.name ?? ''}`);
      }
    }
  }

  /** One pending check per open run (events must not multiply the timers). */
  private checkRunLater(key: string): void {
    if (this.runChecks.has(key)) return;
    this.runChecks.add(key);
    setTimeout(() => {
      this.runChecks.delete(key);
      this.queue.add(key);
    }, this.o.runCheckMs ?? 10_000).unref();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  async reconcile(key: string): Promise<void> {
    if (!(this.o.leadership ?? alwaysLeader).isLeader()) return; // a follower only keeps its caches warm
    const [kind = '', namespace = '', name = ''] = key.split('/');
    const ref = { kind, namespace, name };
    // Read from the informer's cache: with many open runs checked every few seconds, a GET each
    // would load the API server in proportion to the requests in flight. Every write reads the
    // latest object itself (updateStatus) or is conditional on the cached resourceVersion.
    let ops = this.informerOf(kind)?.get(name, namespace) as Ops | undefined;
    // Finalizer writes (a new request, a deletion) act on the latest object.
    if (!ops || ops.metadata?.deletionTimestamp || !ops.metadata?.finalizers?.includes(FINALIZER)) {
      try {
        ops = await getCustom<Ops>(this.o.kube, ref);
      } catch (e) {
        if (isNotFound(e)) {
          this.workflowIds.delete(key);
          this.nudged.delete(key);
          return;
        }
        throw e;
      }
    }
    const uid = ops.metadata?.uid ?? '';
    const finalizers = ops.metadata?.finalizers ?? [];
    const input = opsInputFrom(kind as OpsInput['kind'], ops);
    this.workflowIds.set(key, workflowIdFor(input));
    const log = this.o.log.child(this.logFields(key));

    if (ops.metadata?.deletionTimestamp) {
      if (!finalizers.includes(FINALIZER)) return;
      const closed = await this.cancelAndWait(workflowIdFor(input));
      if (!closed) {
        this.queue.addAfter(key, 1000);
        return;
      }
      await mergePatch(this.o.kube, { apiVersion: API_VERSION, kind, metadata: { name, namespace, finalizers: finalizers.filter((f) => f !== FINALIZER) } });
      log.info('run finished after deletion; finalizer removed');
      return;
    }
    if (terminalPhases.includes(ops.status?.phase ?? 'Pending')) {
      await this.nudgeNext(key, kind, ops, log);
      return;
    }
    if (!finalizers.includes(FINALIZER)) {
      await mergePatch(this.o.kube, { apiVersion: API_VERSION, kind, metadata: { name, namespace, resourceVersion: ops.metadata?.resourceVersion, finalizers: [...finalizers, FINALIZER] } });
    }
    if (!workflowTypeFor(input.kind, input.spec.type)) {
      await updateStatus<Ops, OpsRequestStatus>(this.o.kube, ref, (cur) => cur.metadata?.uid === uid
        ? { ...cur.status, phase: 'Failed', message: `spec.type: ${input.spec.type} is not implemented for ${kind} yet` } : undefined);
      return;
    }
    if (!(this.o.leadership ?? alwaysLeader).isLeader()) return; // Temporal calls are not fenced by the Kubernetes client
    // A run already recorded is only described (checked every few seconds); start is for new ones.
    const id = workflowIdFor(input);
    const recorded = ops.status?.workflow;
    const known = recorded?.id === id && recorded.runId ? await this.runs.describe(id) : undefined;
    const run = known && known.status !== 'NOT_FOUND'
      ? { id, runId: recorded?.runId, url: recorded?.url ?? '', alreadyStarted: true }
      : await startOpsWorkflow(this.o.client, this.o.temporal, input);
    if (!run.alreadyStarted) log.info('workflow started', { runId: run.runId, url: run.url });
    if (ops.status?.workflow?.id !== run.id || ops.status.workflow.runId !== run.runId) {
      await updateStatus<Ops, OpsRequestStatus>(this.o.kube, ref, (cur) => cur.metadata?.uid === uid
        ? { ...cur.status, phase: cur.status?.phase ?? 'Pending', workflow: { id: run.id, runId: run.runId, url: run.url } } : undefined);
    }
    // A run closed from outside, or stuck on a failing workflow task, is reported here; an open
    // run is checked again later (a terminate in the Web UI sends no Kubernetes event).
    if (await followRun(this.o.kube, this.runs, log, ref, uid, run.id, known?.status === 'NOT_FOUND' ? undefined : known, ops.status)) return;
    this.checkRunLater(key);
    // kubectl users approve by annotating: forwarded as the approve signal while the run waits for it.
    const approvedBy = ops.metadata?.annotations?.[APPROVED_BY_ANNOTATION];
    if (approvedBy && ops.status?.phase === 'WaitingForApproval') {
      try {
        await this.o.client.workflow.getHandle(run.id).signal(approveSignal, { by: approvedBy });
        log.info('approval forwarded to the run', { by: approvedBy });
      } catch (e) {
        // A run closed from outside (e.g. terminated in the Web UI) cannot be approved any more.
        if ((e as { name?: string }).name !== 'WorkflowNotFoundError') throw e;
      }
    }
  }

  /**
   * An OpsRequest ended: the next one in its database's queue looks at the queue again now instead
   * of at its fallback timer. Once per ended request and process (a new leader nudges again, which
   * is harmless: a run that is not waiting ignores it).
   */
  private async nudgeNext(key: string, kind: string, ended: Ops, log: Logger): Promise<void> {
    const uid = ended.metadata?.uid ?? '';
    if (this.nudged.get(key) === uid) return;
    const informer = this.informerOf(kind);
    const next = informer && nextInLine(informer.list() as Ops[], ended);
    if (next) {
      const id = workflowIdFor(opsInputFrom(kind as OpsInput['kind'], next));
      try {
        await this.o.client.workflow.getHandle(id).signal(turnSignal);
        log.debug('next request in the queue nudged', { next: next.metadata?.name });
      } catch (e) {
        // Not started yet (it looks at the queue when it starts) or already closed: nothing to wake.
        if ((e as { name?: string }).name !== 'WorkflowNotFoundError') throw e;
      }
    }
    this.nudged.set(key, uid);
  }

  /** Requests cancellation of the run; true once it is closed (or never existed). */
  private async cancelAndWait(workflowId: string): Promise<boolean> {
    const handle = this.o.client.workflow.getHandle(workflowId);
    try {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') return true;
      await handle.cancel();
      return false;
    } catch (e) {
      if ((e as { name?: string }).name === 'WorkflowNotFoundError') return true;
      throw e;
    }
  }
}
