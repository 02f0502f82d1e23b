// Each operation's judgement, declared once (pure): which Validate activity judges it, how its plan
// reads, its steps and the Pods it touches. The workflow (runOperation), `opsflow plan` and the
// progress display all use these, so a dry run shows exactly what the run will declare.
import type { Activities } from '../activities/index.ts';
import type { OpsInput } from './shared.ts';
import { describeScale } from '../engines/horizontal-scaling.ts';
import { postgresHorizontalScalingSteps, proxysqlHorizontalScalingSteps, singlestoreHorizontalScalingSteps } from './plans.ts';
import {
  postgresReconfigureSteps, postgresRestartSteps, postgresRotateAuthSteps, postgresUpdateVersionSteps, proxysqlReconfigureSteps,
  proxysqlUpdateVersionSteps, singlestoreReconfigureSteps, singlestoreUpdateVersionSteps, withSwitchover,
  postgresVolumeExpansionSteps,
  proxysqlRestartSteps, singlestoreRestartSteps, verticalScalingSteps,
} from './plans.ts';
import { describeVerticalScaling } from '../engines/resources.ts';

type ValidateName = { [K in keyof Activities]: K extends `validate${string}` ? K : never }[keyof Activities];
/** The plan a Validate activity returns when the request can proceed. */
export type PlanOf<K extends ValidateName> = Extract<Awaited<ReturnType<Activities[K]>>, { outcome: 'Proceed' }>['plan'];

export interface OperationView<P> {
  validate: ValidateName;
  /** The Validate step's message (and the dry run's summary). */
  describe: (plan: P) => string;
  /** The steps from WaitForTurn on (the spec says e.g. how the primary is updated). */
  steps: (plan: P, spec: OpsInput['spec']) => string[];
  /** The Pods it restarts, in order (empty when it restarts none). */
  pods: (plan: P) => string[];
  primary?: (plan: P) => string | undefined;
}

const view = <K extends ValidateName>(validate: K, v: Omit<OperationView<PlanOf<K>>, 'validate'>): OperationView<PlanOf<K>> => ({ validate, ...v });
const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');

export const operationViews = {
  postgresUpdateVersion: view('validatePostgresUpdateVersion', {
    describe: (p) => `${p.currentVersion} → ${p.targetVersion}${p.major ? ' (major)' : ''}`,
    steps: (p, spec) => withSwitchover(postgresUpdateVersionSteps(p), spec, p),
    pods: (p) => p.pods,
    primary: (p) => p.primary,
  }),
  postgresRestart: view('validatePostgresRestart', {
    describe: (p) => `restart ${p.pods.join(', ')}`,
    steps: (p, spec) => withSwitchover(postgresRestartSteps(p), spec, p),
    pods: (p) => p.pods,
    primary: (p) => p.primary,
  }),
  postgresReconfigure: view('validatePostgresReconfigure', {
    describe: (p) => `${p.changed.length ? p.changed.map((c) => `${c.name}: ${c.from ?? '(default)'} → ${c.to ?? '(default)'}`).join(', ') : 'no parameter changes'}; ${p.action === 'Restart' ? 'rolling restart' : 'reload'} (${p.reason})`,
    steps: (p, spec) => (p.action === 'Restart' && !p.primaryFirst
      ? withSwitchover(postgresReconfigureSteps(p), spec, { pods: p.pods, primary: p.primary ?? p.pods[p.pods.length - 1] ?? '' })
      : postgresReconfigureSteps(p)),
    pods: (p) => (p.action === 'Restart' ? p.pods : []),
  }),
  postgresRotateAuth: view('validatePostgresRotateAuth', {
    describe: (p) => `new password for ${p.user} in Secret ${p.secret} (${p.source ? `from Secret ${p.source}` : 'generated'}); no restart`,
    steps: postgresRotateAuthSteps,
    pods: () => [],
  }),
  singlestoreUpdateVersion: view('validateSingleStoreUpdateVersion', {
    describe: (p) => `${p.currentVersion} → ${p.targetVersion}; order ${p.pods.map((x) => x.pod).join(', ')}`,
    steps: singlestoreUpdateVersionSteps,
    pods: (p) => p.pods.map((x) => x.pod),
  }),
  singlestoreReconfigure: view('validateSingleStoreReconfigure', {
    describe: (p) => p.roles.map((x) => `${x.role}: ${Object.keys(x.params).length} parameter(s), changed ${list(x.changed)}, dropped ${list(x.dropped)}, restart ${x.restart}`).join('; '),
    steps: singlestoreReconfigureSteps,
    pods: (p) => singlestoreReconfigureSteps(p).filter((s) => s.startsWith('RestartPod-')).map((s) => s.slice('RestartPod-'.length)),
  }),
  proxysqlUpdateVersion: view('validateProxySQLUpdateVersion', {
    describe: (p) => `${p.currentVersion} → ${p.targetVersion}`,
    steps: proxysqlUpdateVersionSteps,
    pods: (p) => p.pods,
  }),
  proxysqlReconfigure: view('validateProxySQLReconfigure', {
    describe: (p) => p.summary,
    steps: proxysqlReconfigureSteps,
    pods: () => [],
  }),
  postgresHorizontalScaling: view('validatePostgresHorizontalScaling', {
    describe: (p) => `${describeScale(p)}${p.switchoverTo ? `; the primary ${p.primary} is removed: switch over to ${p.switchoverTo} first` : ''}`,
    steps: postgresHorizontalScalingSteps,
    pods: () => [],
    primary: (p) => p.switchoverTo ?? p.primary,
  }),
  singlestoreHorizontalScaling: view('validateSingleStoreHorizontalScaling', {
    describe: (p) => p.changes.map(describeScale).join('; '),
    steps: singlestoreHorizontalScalingSteps,
    pods: () => [],
  }),
  proxysqlHorizontalScaling: view('validateProxySQLHorizontalScaling', {
    describe: describeScale,
    steps: proxysqlHorizontalScalingSteps,
    pods: () => [],
  }),
  postgresVolumeExpansion: view('validatePostgresVolumeExpansion', {
    describe: (p) => `${p.mode}: data volumes ${p.current} → ${p.size} (${p.pods.map((x) => p.claims[x]).join(', ')})`,
    steps: postgresVolumeExpansionSteps,
    pods: (p) => (p.mode === 'Offline' ? p.pods : []),
    primary: (p) => p.primary,
  }),
  singlestoreRestart: view('validateSingleStoreRestart', {
    describe: (p) => `restart ${p.pods.map((x) => x.pod).join(', ')}`,
    steps: singlestoreRestartSteps,
    pods: (p) => p.pods.map((x) => x.pod),
  }),
  proxysqlRestart: view('validateProxySQLRestart', {
    describe: (p) => `restart ${p.pods.join(', ')}`,
    steps: proxysqlRestartSteps,
    pods: (p) => p.pods,
  }),
  postgresVerticalScaling: view('validatePostgresVerticalScaling', {
    describe: (p) => `${describeVerticalScaling(p.changes)}; roll ${p.pods.join(', ')}`,
    steps: (p, spec) => withSwitchover(verticalScalingSteps(p), spec, p),
    pods: (p) => p.pods,
    primary: (p) => p.primary,
  }),
  singlestoreVerticalScaling: view('validateSingleStoreVerticalScaling', {
    describe: (p) => `${describeVerticalScaling(p.changes)}; roll ${p.pods.map((x) => x.pod).join(', ')}`,
    steps: verticalScalingSteps,
    pods: (p) => p.pods.map((x) => x.pod),
  }),
  proxysqlVerticalScaling: view('validateProxySQLVerticalScaling', {
    describe: (p) => `${describeVerticalScaling(p.changes)}; roll ${p.pods.join(', ')}`,
    steps: verticalScalingSteps,
    pods: (p) => p.pods,
  }),
} satisfies Record<string, OperationView<never>>;

export type OperationName = keyof typeof operationViews;
