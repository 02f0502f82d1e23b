// Helpers for ops tests: create databases and OpsRequests, read them back, build workflow inputs.
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type DatabaseStatus } from '../../src/api/common.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';
import { kindInfo } from '../../src/api/kinds.ts';
import type { OpsInput } from '../../src/workflows/shared.ts';
import { clients, eventually } from './kube.ts';

export type Obj<S> = { metadata: { name: string; uid: string; generation?: number; annotations?: Record<string, string>; finalizers?: string[] }; spec: Record<string, unknown>; status?: S };

export function objects(namespace: string) {
  const api = () => clients().custom;
  const plural = (kind: string) => kindInfo(kind).plural;
  const self = {
    create: async <S = unknown>(kind: string, name: string, spec: Record<string, unknown>) => (await api().createNamespacedCustomObject({
      group: GROUP, version: VERSION, plural: plural(kind), namespace, body: { apiVersion: API_VERSION, kind, metadata: { name }, spec },
    })) as Obj<S>,
    get: async <S = unknown>(kind: string, name: string) => (await api().getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural(kind), namespace, name })) as Obj<S>,
    patch: (kind: string, name: string, body: object) => api().patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: plural(kind), namespace, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    remove: (kind: string, name: string) => api().deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural(kind), namespace, name }),
    db: (name: string) => self.get<DatabaseStatus>('Postgres', name),
    /** The Pod that runs a Postgres's primary: status.primary (a switchover moves it), else <name>-0. */
    primary: async (name: string) => (await self.db(name)).status?.primary ?? `${name}-0`,
    ops: (name: string) => self.get<OpsRequestStatus>('PostgresOpsRequest', name),
    /** Creates a Postgres and waits until it is Ready. */
    readyPostgres: async (name: string, version: string, replicas: number) => {
      await self.create('Postgres', name, { version, replicas });
      return eventually(`Postgres ${name} Ready`, async () => {
        const d = await self.db(name);
        return d.status?.phase === 'Ready' ? d : undefined;
      }, 180_000);
    },
    /** Creates a PostgresOpsRequest and returns the workflow input the watcher would build. */
    pgops: async (name: string, spec: Record<string, unknown>): Promise<OpsInput> => {
      const o = await self.create('PostgresOpsRequest', name, spec);
      return { kind: 'PostgresOpsRequest', namespace, name, uid: o.metadata.uid, spec: o.spec as OpsInput['spec'] };
    },
    /** Waits until an OpsRequest of any kind ends (Successful, Failed or Skipped) and returns it. */
    finished: (kind: string, name: string, timeoutMs = 600_000) => eventually(`${kind} ${name} finished`, async () => {
      const x = await self.get<OpsRequestStatus>(kind, name);
      return ['Successful', 'Failed', 'Skipped'].includes(x.status?.phase ?? '') ? x : undefined;
    }, timeoutMs, 500),
    /** Waits for the end and asserts Successful (the message and unfinished steps explain a failure). */
    successful: async (kind: string, name: string, timeoutMs?: number) => {
      const x = await self.finished(kind, name, timeoutMs);
      assert.equal(x.status?.phase, 'Successful', `${name}: ${x.status?.message} ${JSON.stringify(x.status?.conditions?.filter((c) => c.status !== 'True'))}`);
      return x;
    },
    podUids: async (labelSelector: string) => Object.fromEntries((await clients().core.listNamespacedPod({ namespace, labelSelector })).items
      .filter((p) => !p.metadata?.deletionTimestamp).map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? ''])),
  };
  return self;
}
