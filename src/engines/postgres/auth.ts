// Postgres RotateAuth, the pure parts: what a new password must be, the auth Secret's data after a
// rotation (KubeDB's keys: username/password, the previous ones as username.prev/password.prev)
// and the passfile line a member's replication connection reads. ALTER ROLE is given a SCRAM
// verifier (scram.ts): the cleartext never reaches the server, so no server log can hold it.
import { passwordProblem as rolePasswordProblem } from './scram.ts';

export { scramVerifier } from './scram.ts';

/** Keys of the auth Secret. */
export const PREV_PASSWORD_KEY = 'password.prev';
export const PREV_USERNAME_KEY = 'username.prev';
/** The OpsRequest (uid) whose new password the auth Secret holds: a retried step writes it once. */
export const ROTATED_BY_ANNOTATION = 'opsflow.dev/rotate-auth-request';

/**
 * The problem with a password taken from spec.authentication.secretRef (the field named by the
 * caller), or undefined: scram.ts's rule (8+ printable ASCII characters, so the verifier computed
 * here is the one the server would compute), and at most 1024 characters.
 */
export function passwordProblem(password: string | undefined, field: string): string | undefined {
  if (password === undefined || password === '') return `${field}: the key "password" is missing or empty`;
  if (password.length > 1024) return `${field}: the password is longer than 1024 characters`;
  const problem = rolePasswordProblem(password);
  return problem ? `${field}: the password ${problem}` : undefined;
}

/** The auth Secret's new data: the new password, the previous credential kept beside it. */
export function rotatedSecretData(current: Record<string, string>, user: string, password: string): Record<string, string> {
  const rest = Object.fromEntries(Object.entries(current).filter(([k]) => ![PREV_USERNAME_KEY, PREV_PASSWORD_KEY, 'username', 'password'].includes(k)));
  return { ...rest, username: user, password, [PREV_USERNAME_KEY]: current.username || user, [PREV_PASSWORD_KEY]: current.password ?? '' };
}

export { quoteIdent } from './sql-quote.ts';

/** The passfile line bootstrap.sh writes (`*:*:*:user:password`, `\` and `:` escaped). */
export function pgpassLine(user: string, password: string): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  return `*:*:*:${esc(user)}:${esc(password)}\n`;
}

/** The passfile bootstrap.sh writes into the run directory (the server's unix_socket_directories). */
export const passfilePath = (socketDirs: string) => `${(socketDirs.split(',')[0] ?? '').trim()}/.opsflow-pgpass`;
