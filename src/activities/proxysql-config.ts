// ProxySQL Reconfigure activities: apply the configuration on one member through its admin interface
// (memory tables, LOAD … TO RUNTIME, SAVE … TO DISK; every statement idempotent, so a retry is safe),
// then check every member's runtime until ProxySQL Cluster has spread it and the checksums agree.
// Passwords are read from the OpsRequest here; no return value, error or log line carries one.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { applyStatements, expectationProblems, expectations, type ProxySQLConfiguration } from '../engines/proxysql/config.ts';
import { checksumsAgree } from '../engines/proxysql/probe.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { heartbeat, pollUntil } from './heartbeat.ts';
import { errorText, proxysqlAdmin, queryRows, type ProxySQLAdmin } from './proxysql-admin.ts';
import { readResolvedConfiguration } from './proxysql-validate.ts';

function passwordsOf(cfg: ProxySQLConfiguration): Map<string, string> {
  const m = new Map<string, string>();
  for (const u of cfg.mysqlUsers?.users ?? []) if (typeof u.password === 'string') m.set(String(u.username), u.password);
  return m;
}

/** An error text with every password replaced (a server may echo a value back). */
function scrub(text: string, passwords: Map<string, string>): string {
  let out = text;
  for (const pw of passwords.values()) if (pw) out = out.split(pw).join('<redacted>');
  return out;
}

/** ProxySQL accepts a password in clear or as mysql_native_password's hash (*HEX of SHA1(SHA1(pw))). */
function samePassword(stored: unknown, pw: string): boolean {
  if (typeof stored !== 'string') return false;
  if (stored === pw) return true;
  const inner = createHash('sha1').update(pw, 'utf8').digest();
  return stored.toUpperCase() === `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

async function memberProblems(admin: ProxySQLAdmin, member: string, cfg: ProxySQLConfiguration, passwords: Map<string, string>): Promise<string[]> {
  return admin.withMember(member, async (c) => {
    const problems: string[] = [];
    for (const e of expectations(cfg)) {
      problems.push(...expectationProblems(member, e, await queryRows(c, e.query), (user, stored) => samePassword(stored, passwords.get(user) ?? '')));
    }
    return problems;
  });
}

export function proxysqlConfigActivities(deps: ActivityDeps) {
  const { log, pollMs = 250 } = deps;
  return {
    /** Applies the request on the first member that answers; returns that member's name. */
    async applyProxySQLConfiguration(input: OpsInput, members: string[]): Promise<string> {
      const cfg = await readResolvedConfiguration(deps, input);
      const passwords = passwordsOf(cfg);
      const admin = await proxysqlAdmin(deps, input.namespace, input.spec.proxyRef?.name ?? '');
      const statements = applyStatements(cfg, (user) => passwords.get(user));
      const errors: string[] = [];
      for (const member of members) {
        let connected = false;
        try {
          await admin.withMember(member, async (c) => {
            connected = true;
            for (const st of statements) {
              try {
                await c.query(st.sql);
              } catch (e) {
                throw new Error(`${st.shown}: ${scrub(errorText(e), passwords)}`);
              }
              heartbeat({ member, done: st.shown.slice(0, 80) });
            }
          });
        } catch (e) {
          if (connected) throw new Error(`on ${member}: ${scrub(errorText(e), passwords)}`);
          errors.push(`${member}: ${scrub(errorText(e), passwords)}`);
          continue;
        }
        log.info('proxysql configuration applied', { opsRequest: `${input.namespace}/${input.name}`, member, statements: statements.length });
        // The member itself must show the change at once; if not, ProxySQL refused a value.
        const problems = await memberProblems(admin, member, cfg, passwords);
        if (problems.length) throw ApplicationFailure.nonRetryable(`ProxySQL did not take the change: ${problems.join('; ')}`, 'ProxySQLRefused');
        return member;
      }
      throw new Error(`no member of ProxySQL ${admin.db.metadata.name} answers on its admin interface: ${errors.join('; ')}`);
    },

    /** Waits until every member's runtime shows the change and the config checksums agree. */
    async verifyProxySQLConfiguration(input: OpsInput, maxWaitMs = 120_000): Promise<string> {
      const cfg = await readResolvedConfiguration(deps, input);
      const passwords = passwordsOf(cfg);
      const admin = await proxysqlAdmin(deps, input.namespace, input.spec.proxyRef?.name ?? '');
      const deadline = Date.now() + maxWaitMs;
      let last: string[] = [];
      return pollUntil(async () => {
        try {
          last = (await Promise.all(admin.members.map((m) => memberProblems(admin, m, cfg, passwords)))).flat();
          if (last.length === 0) last = await admin.withAll((conns) => checksumsAgree(conns));
        } catch (e) {
          last = [`cannot run the check: ${scrub(errorText(e), passwords)}`];
        }
        if (last.length === 0) return `all ${admin.members.length} member(s) run the new config; checksums agree`;
        if (Date.now() > deadline) throw ApplicationFailure.retryable(`configuration check failed: ${last.join('; ')}`, 'ConfigCheckFailed');
        return undefined;
      }, pollMs, () => ({ problems: last }));
    },
  };
}
