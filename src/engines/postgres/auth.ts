// Postgres RotateAuth, the pure parts: what a new password must be, the auth Secret's data after a
// rotation (KubeDB's keys: username/password, the previous ones as username.prev/password.prev),
// the SCRAM-SHA-256 verifier ALTER ROLE is given (the cleartext never reaches the server, so no
// server log can hold it) and the passfile line a member's replication connection reads.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

/** Keys of the auth Secret. */
export const PREV_PASSWORD_KEY = 'password.prev';
export const PREV_USERNAME_KEY = 'username.prev';
/** The OpsRequest (uid) whose new password the auth Secret holds: a retried step writes it once. */
export const ROTATED_BY_ANNOTATION = 'opsflow.dev/rotate-auth-request';

/**
 * The problem with a password taken from spec.authentication.secretRef (the field named by the
 * caller), or undefined. Printable ASCII only: SCRAM's SASLprep is then the identity, so the
 * verifier computed here is exactly the one the server would compute from the cleartext.
 */
export function passwordProblem(password: string | undefined, field: string): string | undefined {
  if (password === undefined || password === '') return `${field}: the key "password" is missing or empty`;
  if (password.length < 8) return `${field}: the password is shorter than 8 characters`;
  if (password.length > 1024) return `${field}: the password is longer than 1024 characters`;
  if (!/^[\x20-\x7e]+$/.test(password)) return `${field}: the password may hold printable ASCII characters only (no control characters, newlines or non-ASCII letters)`;
  return undefined;
}

/** The auth Secret's new data: the new password, the previous credential kept beside it. */
export function rotatedSecretData(current: Record<string, string>, user: string, password: string): Record<string, string> {
  const rest = Object.fromEntries(Object.entries(current).filter(([k]) => ![PREV_USERNAME_KEY, PREV_PASSWORD_KEY, 'username', 'password'].includes(k)));
  return { ...rest, username: user, password, [PREV_USERNAME_KEY]: current.username || user, [PREV_PASSWORD_KEY]: current.password ?? '' };
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** The SCRAM-SHA-256 verifier PostgreSQL stores for this password (RFC 5802/7677; 4096 iterations like the server's default). */
export function scramVerifier(password: string, salt: Buffer, iterations = 4096): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** A quoted SQL identifier. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The passfile line bootstrap.sh writes (`*:*:*:user:password`, `\` and `:` escaped). */
export function pgpassLine(user: string, password: string): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  return `*:*:*:${esc(user)}:${esc(password)}\n`;
}

/** The passfile bootstrap.sh writes into the run directory (the server's unix_socket_directories). */
export const passfilePath = (socketDirs: string) => `${(socketDirs.split(',')[0] ?? '').trim()}/.opsflow-pgpass`;
