// Reading an OpsRequest file (YAML or JSON) and validating it against the zod schemas, with
// errors that name the field (spec.updateVersion.targetVersion: …).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { API_VERSION } from '../../api/common.ts';
import { PostgresOpsRequestSchema, ProxySQLOpsRequestSchema, SingleStoreOpsRequestSchema } from '../../api/opsrequests.ts';
import { CliError, EXIT } from './errors.ts';
import type { OpsKind, OpsObject } from './refs.ts';

const schemas: Record<OpsKind, z.ZodType> = {
  PostgresOpsRequest: PostgresOpsRequestSchema,
  SingleStoreOpsRequest: SingleStoreOpsRequestSchema,
  ProxySQLOpsRequest: ProxySQLOpsRequestSchema,
};

/** Pure: a parsed document as a valid OpsRequest of one of opsflow's kinds, or a CliError naming the field. */
export function validateOpsDocument(doc: unknown, source: string): OpsObject {
  const kind = (doc as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !(kind in schemas)) {
    throw new CliError(`${source}: kind: must be one of ${Object.keys(schemas).join(', ')}${typeof kind === 'string' ? `, not ${kind}` : ''}`, EXIT.usage);
  }
  const apiVersion = (doc as { apiVersion?: unknown }).apiVersion;
  if (apiVersion !== API_VERSION) throw new CliError(`${source}: apiVersion: must be ${API_VERSION}`, EXIT.usage);
  const r = (schemas[kind as OpsKind]).safeParse(doc);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
    throw new CliError(`${source}: ${problems.join('; ')}`, EXIT.usage);
  }
  const o = r.data as OpsObject;
  if (!o.metadata?.name && !(o.metadata as { generateName?: string } | undefined)?.generateName) throw new CliError(`${source}: metadata.name: required`, EXIT.usage);
  // The CEL rules of the CRD, checked here too so a bad file is refused before anything is sent.
  const sub: Array<[string, keyof OpsObject['spec']]> = [['UpdateVersion', 'updateVersion'], ['Reconfigure', 'configuration']];
  for (const [type, field] of sub) {
    if (o.spec.type === type && o.spec[field] === undefined) throw new CliError(`${source}: spec.${field}: required when spec.type is ${type}`, EXIT.usage);
    if (o.spec.type !== type && o.spec[field] !== undefined) throw new CliError(`${source}: spec.${field}: only allowed when spec.type is ${type}`, EXIT.usage);
  }
  if (o.spec.type === 'RotateAuth' && kind !== 'PostgresOpsRequest') throw new CliError(`${source}: spec.type: RotateAuth is not supported for ${kind}`, EXIT.usage);
  if (o.spec.type !== 'RotateAuth' && (o.spec as { authentication?: unknown }).authentication !== undefined) {
    throw new CliError(`${source}: spec.authentication: only allowed when spec.type is RotateAuth`, EXIT.usage);
  }
  return o;
}

/** Reads the one OpsRequest in a file (- for stdin). */
export function readOpsFile(path: string | undefined): OpsObject {
  if (!path) throw new CliError('-f/--filename: required (an OpsRequest YAML file, or - for stdin)', EXIT.usage);
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: cannot read: ${(e as { code?: string }).code ?? String(e)}`, EXIT.usage);
  }
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw new CliError(`${path}: expected exactly one OpsRequest document, found ${docs.length}`, EXIT.usage);
  const doc = docs[0];
  if (!doc || doc.errors.length) throw new CliError(`${path}: not valid YAML: ${doc?.errors[0]?.message.split('\n')[0] ?? 'empty'}`, EXIT.usage);
  return validateOpsDocument(doc.toJS(), path);
}
