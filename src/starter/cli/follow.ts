// Following a run to its end (submit --wait, status --watch): one line per step change and phase
// change, then the final status. The OpsRequest's phase decides when it is over.
import { terminalPhases } from '../../api/opsrequests.ts';
import { getCustom } from '../../k8s/resources.ts';
import type { Progress } from '../../workflows/shared.ts';
import type { Ctx } from './context.ts';
import { EXIT } from './errors.ts';
import { readRun } from './progress.ts';
import type { OpsObject } from './refs.ts';
import { bar, podProgress, stepLine } from './render.ts';

export interface Followed {
  ops: OpsObject;
  progress: Progress;
  source: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function follow(ctx: Ctx, start: OpsObject, intervalMs = 1000): Promise<Followed> {
  const ref = { kind: start.kind, namespace: start.metadata.namespace, name: start.metadata.name };
  const seen = new Map<string, string>();
  let phase = '';
  let pods = '';
  for (;;) {
    const ops = await getCustom<OpsObject>(ctx.kube, ref);
    const run = await readRun(ctx, ops);
    const p = run.progress;
    for (const s of p.steps) {
      if (s.state === 'Pending' || seen.get(s.name) === s.state) continue;
      seen.set(s.name, s.state);
      ctx.say(stepLine(s, Date.now(), 20));
    }
    const rolled = podProgress(p);
    const podLine = rolled.total ? bar(rolled.done, rolled.total) : '';
    if (podLine && podLine !== pods && p.phase === 'Progressing') ctx.say(`  Pods ${podLine}`);
    pods = podLine;
    const opsPhase = ops.status?.phase ?? 'Pending';
    if (opsPhase !== phase) ctx.say(`Phase ${opsPhase}${ops.status?.message ? `: ${ops.status.message}` : ''}`);
    phase = opsPhase;
    if (terminalPhases.includes(opsPhase)) return { ops, progress: { ...p, phase: opsPhase, message: ops.status?.message ?? p.message }, source: run.source };
    await sleep(intervalMs);
  }
}

export const exitFor = (phase: string | undefined): number => (phase === 'Failed' ? EXIT.failed : EXIT.ok);
