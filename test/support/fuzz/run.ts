// The fuzz run against the real API server, watcher and worker: generated PostgresOpsRequests on a
// 1-member Postgres (real postgres process), and generated Postgres specs. Each outcome is judged:
//   - refused by the API server (422): the message names a field, and nothing changed;
//   - accepted: a final phase within the bound; a refusal from validation (Failed before any
//     pause) names a field and changed nothing (Pod UIDs, StatefulSet generation, config Secret);
//     a failure after the pause leaves the database resumed; a harmful or malformed config line
//     never ends Successful (or Ready); a timeout outside 10 s .. 24 h is never accepted.
// Violations are collected (not thrown), so one run reports them all.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { getCondition } from '../../../src/api/conditions.ts';
import type { DatabaseStatus } from '../../../src/api/common.ts';
import { PAUSE_ANNOTATION } from '../../../src/engines/common.ts';
import { apiErrorMessage, isApiError } from '../../../src/k8s/client.ts';
import { eventually, sleep } from '../../../devenv/process.ts';
import { clients } from '../kube.ts';
import { objects } from '../ops.ts';
import { DB, dbCase, opsCase, type DbCase, type OpsCase } from './arbitraries.ts';
import { mustHaveBeenRefused, namesField, snapshotDiff, type Snapshot } from './oracle.ts';

export type Outcome = 'refusedByApi' | 'refusedByValidation' | 'Successful' | 'FailedAfterPause' | 'Skipped' | 'Ready' | 'DatabaseFailed' | 'notFinal';

export interface FuzzResult {
  seed: number;
  counts: Record<string, number>;
  violations: string[];
}

export interface FuzzOptions {
  seed: number;
  opsRuns: number;
  dbRuns: number;
  namespace: string;
  /** Per case: from creation to a final phase. */
  boundMs: number;
  log?: (line: string) => void;
}

const FINAL = ['Successful', 'Failed', 'Skipped'];

/** Deep-replaces the runner's placeholders ($DB, $SECRET) in a generated spec. */
function fill(v: unknown, names: Record<string, string>): unknown {
  if (typeof v === 'string') return names[v] ?? v;
  if (Array.isArray(v)) return v.map((x) => fill(x, names));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, names)]));
  return v;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const log = o.log ?? (() => undefined);
  const k = objects(o.namespace);
  const { core, apps } = clients();
  const counts: Record<string, number> = {};
  const violations: string[] = [];
  const count = (what: Outcome) => { counts[what] = (counts[what] ?? 0) + 1; };
  let dbN = 0;
  let db = '';

  const newDatabase = async () => {
    if (db) await k.remove('Postgres', db).catch(() => undefined);
    db = `fz${dbN++}`;
    await k.readyPostgres(db, '16.13', 1);
  };
  /** The database is Ready and not paused (else a fresh one replaces it: one case must not spoil the next). */
  const healthyDatabase = async () => {
    try {
      await eventually(`${db} Ready and resumed`, async () => {
        const d = await k.db(db);
        return d.status?.phase === 'Ready' && !d.metadata.annotations?.[PAUSE_ANNOTATION] ? true : undefined;
      }, 60_000, 500);
    } catch {
      log(`   ${db} is not Ready (or still paused): a fresh database replaces it`);
      await newDatabase();
    }
  };
  const snapshot = async (): Promise<Snapshot> => {
    const d = await k.db(db);
    const sts = await apps.readNamespacedStatefulSet({ name: db, namespace: o.namespace }).catch(() => undefined);
    const secret = await core.readNamespacedSecret({ name: `${db}-config`, namespace: o.namespace }).catch(() => undefined);
    return {
      pods: await k.podUids(`app.kubernetes.io/instance=${db}`),
      statefulSetGeneration: sts?.metadata?.generation,
      configSecret: secret ? createHash('sha256').update(JSON.stringify(secret.data ?? {})).digest('hex') : undefined,
      databaseSpec: JSON.stringify(d.spec), databaseGeneration: d.metadata.generation,
    };
  };

  await newDatabase();
  const opsCases = fc.sample(opsCase, { seed: o.seed, numRuns: o.opsRuns });
  for (const [i, c] of opsCases.entries()) {
    const name = `op-${i}`;
    const where = `seed ${o.seed} ops case ${i} ${JSON.stringify(c.spec)}${c.secret ? ` secret ${JSON.stringify(c.secret.text)}` : ''}`;
    const violate = (why: string) => {
      violations.push(`${where}: ${why}`);
      log(`   VIOLATION: ${why}`);
    };
    await healthyDatabase();
    const secretName = `op-${i}-conf`;
    if (c.secret) await core.createNamespacedSecret({ namespace: o.namespace, body: { metadata: { name: secretName }, stringData: { 'user.conf': c.secret.text } } });
    const spec = fill(c.spec, { [DB]: db, $SECRET: secretName }) as Record<string, unknown>;
    log(`#${i} ${JSON.stringify(spec)}${c.secret ? ` (Secret user.conf ${JSON.stringify(c.secret.text)})` : ''}`);
    const before = await snapshot();
    try {
      await k.create('PostgresOpsRequest', name, spec);
    } catch (e) {
      const msg = apiErrorMessage(e);
      if (!isApiError(e, 422)) {
        violate(`the API server answered ${isApiError(e) ? (e as { code: number }).code : 'an error'} (not 422 Invalid): ${msg}`);
        continue;
      }
      count('refusedByApi');
      log(`   422: ${msg}`);
      if (!namesField(msg)) violate(`the API server's refusal names no field: ${msg}`);
      const diff = snapshotDiff(before, await snapshot());
      if (diff) violate(`a refused request changed the database: ${diff}`);
      continue;
    }
    if (c.timeout === 'outOfRange' || c.timeout === 'bogus') violate(`spec.timeout ${JSON.stringify(spec.timeout)} (${c.timeout}) was accepted by the API server`);
    const status = await finalStatus(() => k.ops(name).then((x) => x.status), o.boundMs);
    if (!status || !FINAL.includes(status.phase ?? '')) {
      count('notFinal');
      violate(`not final after ${o.boundMs / 1000} s: ${status?.phase ?? 'no phase'}: ${status?.message ?? ''}`);
      // Its run may hold the database's queue: delete it (the watcher cancels the run) and move on.
      await k.remove('PostgresOpsRequest', name).catch(() => undefined);
      await newDatabase();
      continue;
    }
    const paused = getCondition(status.conditions, 'PauseDatabase') !== undefined;
    log(`   ${status.phase}${paused ? ' (after pausing)' : ''}: ${status.message ?? ''}`);
    if (status.phase === 'Successful') {
      count('Successful');
      const bad = mustHaveBeenRefused(c.lines);
      if (bad) violate(bad);
    } else if (status.phase === 'Skipped' || !paused) {
      count(status.phase === 'Skipped' ? 'Skipped' : 'refusedByValidation');
      if (status.phase === 'Failed' && !namesField(status.message)) violate(`the refusal names no field: ${status.message}`);
      const diff = snapshotDiff(before, await snapshot());
      if (diff) violate(`a refused request changed the database: ${diff}`);
    } else {
      count('FailedAfterPause');
      if (!status.message?.trim()) violate('Failed without a message');
      try {
        await eventually(`${db} resumed`, async () => {
          const d = await k.db(db);
          return !d.metadata.annotations?.[PAUSE_ANNOTATION] && getCondition(d.status?.conditions, 'Paused')?.status !== 'True' ? true : undefined;
        }, 60_000, 500);
      } catch {
        violate(`the database was left paused after: ${status.message}`);
      }
    }
  }
  await k.remove('Postgres', db).catch(() => undefined);

  const dbCases = fc.sample(dbCase, { seed: o.seed, numRuns: o.dbRuns });
  for (const [i, c] of dbCases.entries()) await judgeDatabase(i, c);

  async function judgeDatabase(i: number, c: DbCase): Promise<void> {
    const name = `db-${i}`;
    const secretName = `db-${i}-conf`;
    const where = `seed ${o.seed} database case ${i} ${JSON.stringify(c.spec)}${c.secret ? ` secret ${JSON.stringify(c.secret.text)}` : ''}`;
    const violate = (why: string) => {
      violations.push(`${where}: ${why}`);
      log(`   VIOLATION: ${why}`);
    };
    if (c.secret) await core.createNamespacedSecret({ namespace: o.namespace, body: { metadata: { name: secretName }, stringData: { 'user.conf': c.secret.text } } });
    const spec = fill(c.spec, { $SECRET: secretName }) as Record<string, unknown>;
    log(`db #${i} ${JSON.stringify(spec)}${c.secret ? ` (Secret user.conf ${JSON.stringify(c.secret.text)})` : ''}`);
    try {
      await k.create('Postgres', name, spec);
    } catch (e) {
      const msg = apiErrorMessage(e);
      if (!isApiError(e, 422)) return violate(`the API server answered an error (not 422 Invalid): ${msg}`);
      count('refusedByApi');
      log(`   422: ${msg}`);
      if (!namesField(msg)) violate(`the API server's refusal names no field: ${msg}`);
      return;
    }
    const status = await finalStatus<DatabaseStatus>(() => k.db(name).then((x) => x.status), o.boundMs, ['Ready', 'Failed']);
    const falseConds = (status?.conditions ?? []).filter((x) => x.status === 'False' && x.type !== 'Paused');
    log(`   ${status?.phase ?? 'no phase'}: ${falseConds.map((x) => `${x.type}: ${x.message}`).join('; ')}`);
    if (status?.phase === 'Ready') {
      count('Ready');
      const bad = mustHaveBeenRefused(c.lines);
      if (bad) violate(bad);
    } else if (status?.phase === 'Failed') {
      count('DatabaseFailed');
      if (!falseConds.some((x) => namesField(x.message))) violate(`Failed, but no condition names a field: ${JSON.stringify(falseConds)}`);
    } else {
      count('notFinal');
      violate(`not Ready nor Failed after ${o.boundMs / 1000} s: ${status?.phase ?? 'no phase'} ${JSON.stringify(falseConds)}`);
    }
    await k.remove('Postgres', name).catch(() => undefined);
  }

  return { seed: o.seed, counts, violations };
}

/** Polls until the phase is final (or the bound passes); returns the last status seen. */
async function finalStatus<S extends { phase?: string }>(read: () => Promise<S | undefined>, boundMs: number, final = FINAL): Promise<S | undefined> {
  const deadline = Date.now() + boundMs;
  let last: S | undefined;
  for (;;) {
    try {
      last = await read();
    } catch {
      // keep polling
    }
    if (final.includes(last?.phase ?? '') || Date.now() > deadline) return last;
    await sleep(500);
  }
}

export type { OpsCase, DbCase };

/** A throwaway namespace with its own watcher and worker processes (the stack's Temporal), for one fuzz run. */
export async function fuzzInNamespace(opts: Omit<FuzzOptions, 'namespace'>): Promise<FuzzResult> {
  const { installCrdsAndCatalog } = await import('../../../devenv/crds.ts');
  const { tempNamespace } = await import('../kube.ts');
  const { startOpsflowProcess } = await import('../processes.ts');
  await installCrdsAndCatalog();
  const ns = await tempNamespace('fuzz');
  // (not ../temporal.ts: it installs the SDK runtime, which a test process may have done already)
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('no Temporal server: TEMPORAL_ADDRESS is not set. Run with `npm test` or `npm run fuzz`, which start the local stack.');
  const env = { temporalAddress: address, taskQueue: `fuzz-${ns.name}`, namespace: ns.name };
  const watcher = startOpsflowProcess('watcher', env);
  const worker = startOpsflowProcess('worker', env);
  opts.log?.(`fuzz seed ${opts.seed}: ${opts.opsRuns} OpsRequest case(s), ${opts.dbRuns} database case(s), namespace ${ns.name}; logs ${watcher.logFile} ${worker.logFile}`);
  try {
    return await runFuzz({ ...opts, namespace: ns.name });
  } finally {
    await watcher.stop();
    await worker.stop();
    await ns.remove();
  }
}

/** Pure: the counts and violations of a run, as printed. */
export function formatFuzz(r: FuzzResult): string {
  return [
    `fuzz seed ${r.seed}: ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; violations ${r.violations.length}`,
    ...r.violations.map((v) => `  - ${v}`),
  ].join('\n');
}
