// RotateAuth's pure parts: the SCRAM verifier ALTER ROLE gets (proven against the pg client's own
// SCRAM exchange), the password rules naming the field, the Secret's data after a rotation, the
// passfile line, the plan's steps (no Pod restarts) and the registry/CRD entries.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { passfilePath, passwordProblem, pgpassLine, quoteIdent, rotatedSecretData, scramVerifier } from '../../src/engines/postgres/auth.ts';
import { PostgresOpsRequestSpecSchema } from '../../src/api/opsrequests.ts';
import { workflowTypeFor } from '../../src/api/registry.ts';
import { operationViews } from '../../src/workflows/operations.ts';
import { fullSteps } from '../../src/workflows/plans.ts';

type Session = { response: string; clientNonce: string; message: string };
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as {
  startSession(m: string[]): Session;
  continueSession(s: Session, password: string, serverData: string): Promise<void>;
};

/** The server side of SCRAM-SHA-256 with a stored verifier: does this client proof match? */
async function serverAccepts(verifier: string, password: string): Promise<boolean> {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  assert.ok(m, verifier);
  const [, iterations, salt, storedKey] = m as unknown as [string, string, string, string];
  const session = sasl.startSession(['SCRAM-SHA-256']);
  const nonce = `${session.clientNonce}${randomBytes(9).toString('base64')}`;
  const serverFirst = `r=${nonce},s=${salt},i=${iterations}`;
  await sasl.continueSession(session, password, serverFirst);
  const proof = Buffer.from(/,p=(.+)$/.exec(session.response)?.[1] ?? '', 'base64');
  const authMessage = `n=*,r=${session.clientNonce},${serverFirst},${session.response.replace(/,p=.+$/, '')}`;
  const signature = createHmac('sha256', Buffer.from(storedKey, 'base64')).update(authMessage).digest();
  const clientKey = Buffer.from(proof.map((b, i) => b ^ (signature[i] ?? 0)));
  return createHash('sha256').update(clientKey).digest('base64') === storedKey;
}

describe('Postgres RotateAuth (pure)', () => {
  it('the SCRAM verifier accepts the password and nothing else (pg client\'s own exchange)', async () => {
    const v = scramVerifier('correct horse: battery\\staple', randomBytes(16));
    assert.match(v, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'a literal with no quote in it');
    assert.equal(await serverAccepts(v, 'correct horse: battery\\staple'), true);
    assert.equal(await serverAccepts(v, 'correct horse: battery\\stapl'), false);
  });
  it('refuses a missing, empty, short or non-printable password, naming the field', () => {
    const f = 'spec.authentication.secretRef.name (Secret "s")';
    assert.match(passwordProblem(undefined, f) ?? '', /^spec\.authentication\.secretRef\.name \(Secret "s"\): the key "password" is missing or empty$/);
    assert.match(passwordProblem('', f) ?? '', /missing or empty/);
    assert.match(passwordProblem('short', f) ?? '', /shorter than 8/);
    assert.match(passwordProblem('new\nline-password', f) ?? '', /printable ASCII/);
    assert.match(passwordProblem('pässwörter', f) ?? '', /printable ASCII/);
    assert.equal(passwordProblem('a good one: with \\ and \'', f), undefined);
  });
  it('the Secret keeps the previous credential as username.prev/password.prev', () => {
    assert.deepEqual(rotatedSecretData({ username: 'postgres', password: 'old', 'password.prev': 'older', extra: 'x' }, 'postgres', 'new'),
      { extra: 'x', username: 'postgres', password: 'new', 'username.prev': 'postgres', 'password.prev': 'old' });
  });
  it('the passfile line escapes as bootstrap.sh does; its path is the socket directory\'s', () => {
    assert.equal(pgpassLine('postgres', 'a:b\\c'), '*:*:*:postgres:a\\:b\\\\c\n');
    assert.equal(passfilePath('/run/pg, /tmp'), '/run/pg/.opsflow-pgpass');
    assert.equal(quoteIdent('we"ird'), '"we""ird"');
  });
  it('is registered; its plan restarts no Pod and shows the same steps as the run', () => {
    assert.equal(workflowTypeFor('PostgresOpsRequest', 'RotateAuth'), 'postgresRotateAuth');
    assert.equal(workflowTypeFor('SingleStoreOpsRequest', 'RotateAuth'), undefined);
    const plan = { database: 'pg', secret: 'pg-auth', user: 'postgres', primary: 'pg-0', pods: ['pg-0', 'pg-1'] };
    const view = operationViews.postgresRotateAuth;
    assert.deepEqual(view.pods(plan), []);
    assert.equal(view.describe({ ...plan, source: 'new-pw' }), 'new password for postgres in Secret pg-auth (from Secret new-pw); no restart');
    const spec = PostgresOpsRequestSpecSchema.parse({ type: 'RotateAuth', databaseRef: { name: 'pg' } });
    assert.deepEqual(fullSteps(spec, view.steps(plan, spec)), [
      'Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'UpdateSecret', 'UpdateRole', 'UpdateReplicationCredentials', 'CheckReplication', 'ResumeDatabase',
    ]);
  });
});
