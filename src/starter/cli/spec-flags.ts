// Flags that set common OpsRequest spec fields on generated requests (update-version, restart).
import { DurationSchema } from '../../api/common.ts';
import { CliError, EXIT } from './errors.ts';
import type { OpsObject } from './refs.ts';

export const commonOpsFlags = {
  approval: { type: 'string' },
  timeout: { type: 'string' },
  apply: { type: 'string' },
} as const;

export interface OpsSpecFlags {
  approval?: string;
  timeout?: string;
  apply?: string;
}

export function opsSpecFlags(f: OpsSpecFlags): Partial<OpsObject['spec']> {
  if (f.approval !== undefined && f.approval !== 'Required' && f.approval !== 'Automatic') throw new CliError(`--approval: must be Required or Automatic, not ${f.approval}`, EXIT.usage);
  if (f.apply !== undefined && f.apply !== 'IfReady' && f.apply !== 'Always') throw new CliError(`--apply: must be IfReady or Always, not ${f.apply}`, EXIT.usage);
  if (f.timeout !== undefined && !DurationSchema.safeParse(f.timeout).success) throw new CliError(`--timeout: must be a duration such as 30s, 5m or 1h, not ${f.timeout}`, EXIT.usage);
  return {
    ...(f.approval ? { approval: f.approval as 'Required' | 'Automatic' } : {}),
    ...(f.apply ? { apply: f.apply as 'IfReady' | 'Always' } : {}),
    ...(f.timeout ? { timeout: f.timeout } : {}),
  };
}
