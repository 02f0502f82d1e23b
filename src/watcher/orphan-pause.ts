// A pause whose requesting run has closed is cleared by the provisioner, independently of the run's
// own ResumeDatabase (a run terminated from the Web UI never resumes). The pause annotation names
// the OpsRequest (<Kind>/<name>); its run id comes from src/temporal/ids.ts. A pause is cleared
// only on positive evidence that its run is closed: an open run, a run not started yet, an
// unreadable holder or any error keeps it.
import { API_VERSION } from '../api/common.ts';
import { kinds } from '../api/kinds.ts';
import { PAUSE_ANNOTATION } from '../engines/common.ts';
import { mergePatch } from '../k8s/apply.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { recordEvent } from '../k8s/events.ts';
import { getCustom } from '../k8s/resources.ts';
import type { Logger } from '../logger.ts';
import { workflowIdFor } from '../temporal/ids.ts';
import type { RunInfo, RunStatusReader } from './run-status.ts';

export interface PauseFacts {
  holder: string;
  /** The holder's OpsRequest: its uid, or null when it no longer exists. undefined: holder unreadable. */
  opsRequest?: { uid: string } | null;
  /** The run derived from the OpsRequest (when it exists). */
  run?: RunInfo;
  /** Open runs on this database from visibility (consulted when the OpsRequest is gone). */
  openRunIds?: string[];
}

export type PauseVerdict = { clear: false; why: string } | { clear: true; reason: string };

const opsKinds = new Set(kinds.filter((k) => k.kind.endsWith('OpsRequest')).map((k) => k.kind));

/** Pure: `<Kind>/<name>` of an OpsRequest, or undefined for anything else. */
export function parseHolder(holder: string): { kind: string; name: string } | undefined {
  const m = /^([A-Za-z]+)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(holder);
  return m && opsKinds.has(m[1] ?? '') ? { kind: m[1] ?? '', name: m[2] ?? '' } : undefined;
}

/** Pure: whether the pause can be cleared, from what was observed. */
export function pauseVerdict(f: PauseFacts, namespace: string): PauseVerdict {
  const h = parseHolder(f.holder);
  if (!h || f.opsRequest === undefined) return { clear: false, why: `the pause holder "${f.holder}" is not an OpsRequest opsflow knows` };
  if (f.opsRequest === null) {
    const prefix = `${h.kind.toLowerCase()}/${namespace}/${h.name}/`;
    const open = (f.openRunIds ?? []).find((id) => id.startsWith(prefix));
    if (f.openRunIds === undefined || open) return { clear: false, why: open ? `run ${open} is still open` : 'open runs unknown' };
    return { clear: true, reason: `${f.holder} no longer exists and has no open run` };
  }
  const status = f.run?.status;
  if (!status || status === 'RUNNING' || status === 'NOT_FOUND' || status === 'UNKNOWN' || status === 'CONTINUED_AS_NEW') {
    return { clear: false, why: `the run of ${f.holder} is ${status === 'NOT_FOUND' ? 'not started yet' : (status ?? 'unknown').toLowerCase()}` };
  }
  return { clear: true, reason: `the run of ${f.holder} is closed (${status})` };
}

/** Gathers the facts about one pause (reads only). */
export async function pauseFacts(kube: Kube, runs: RunStatusReader, db: { namespace: string; name: string }, holder: string): Promise<PauseFacts> {
  const h = parseHolder(holder);
  if (!h) return { holder };
  let uid: string | undefined;
  try {
    uid = (await getCustom<{ metadata?: { uid?: string } }>(kube, { kind: h.kind, namespace: db.namespace, name: h.name })).metadata?.uid;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!uid) return { holder, opsRequest: null, openRunIds: await runs.openRunsOf(db.namespace, db.name) };
  return { holder, opsRequest: { uid }, run: await runs.describe(workflowIdFor({ kind: h.kind, namespace: db.namespace, name: h.name, uid })) };
}

/**
 * Removes the pause, conditional on the resourceVersion it was judged on (a pause taken meanwhile
 * by another request is never removed), and records a Warning Event on the database.
 */
export async function clearPause(kube: Kube, log: Logger, db: { kind: string; namespace: string; name: string; uid?: string; resourceVersion?: string }, holder: string, reason: string): Promise<void> {
  await mergePatch(kube, {
    apiVersion: API_VERSION, kind: db.kind,
    metadata: { name: db.name, namespace: db.namespace, resourceVersion: db.resourceVersion, annotations: { [PAUSE_ANNOTATION]: null as unknown as string } },
  });
  const note = `cleared the pause of ${holder}: ${reason}; the provisioner manages ${db.name} again`;
  log.warn('orphaned pause cleared', { database: `${db.kind}/${db.namespace}/${db.name}`, holder, reason });
  await recordEvent(kube, log, { apiVersion: API_VERSION, kind: db.kind, namespace: db.namespace, name: db.name, ...(db.uid ? { uid: db.uid } : {}) }, 'Warning', 'PauseCleared', note);
}
