// KubeDB v1's spellings of a Postgres' custom config (pure). `spec.configuration.secretName` is read
// as `spec.configSecret` (src/api/databases.ts); writers keep the manifest's spelling (configRefPatch).
// `spec.configuration.inline["user.conf"]` is merged on top of the Secret's user.conf into a
// content-named custom-config Secret, and `secretName` then points at it: from there on an inline
// edit is an ordinary change of the config Secret reference (a Reconfigure, see declarative.ts), and
// what runs is always one Secret, as for a Reconfigure's applyConfig.
import { createHash } from 'node:crypto';
import type { Postgres } from '../../api/databases.ts';
import { mergeParams, parseConf, renderConf, USER_CONF_KEY } from './config.ts';

/** The name of the Secret holding a custom config, from the database and the content. */
export const userConfigSecretName = (db: string, userConf: string) => `${db}-custom-config-${createHash('sha256').update(userConf).digest('hex').slice(0, 10)}`;

/** The merge patch of `spec` that makes the database's custom config Secret `name` (null: none), in the manifest's spelling. */
export function configRefPatch(db: Postgres, name: string | null): Record<string, unknown> {
  if (db.spec.configuration) return { configuration: { secretName: name } };
  return { configSecret: name ? { name } : null };
}

export interface InlineMaterialization {
  /** The content-named Secret to create (owned by the database). */
  secretName: string;
  userConf: string;
  /** The merge patch of spec: secretName → the Secret, inline removed. */
  specPatch: Record<string, unknown>;
}

/**
 * What to do with `spec.configuration.inline`, given the data of the Secret `secretName` names (if
 * any): undefined when there is no inline config. Throws `spec.configuration.inline…: …` on a line
 * that is not `name = value`.
 */
export function materializeInline(db: Postgres, secretData: Record<string, string> | undefined): InlineMaterialization | undefined {
  const inline = db.spec.configuration?.inline;
  if (!inline) return undefined;
  const text = inline[USER_CONF_KEY] ?? '';
  let own;
  try {
    own = parseConf(text);
  } catch (e) {
    throw new Error(`spec.configuration.inline["${USER_CONF_KEY}"]: ${e instanceof Error ? e.message : String(e)}`);
  }
  const base = secretData?.[USER_CONF_KEY] ? parseConf(secretData[USER_CONF_KEY]) : {};
  const userConf = renderConf(mergeParams(base, own));
  const secretName = userConfigSecretName(db.metadata.name ?? '', userConf);
  return { secretName, userConf, specPatch: { configSecret: null, configuration: { secretName, inline: null } } };
}
