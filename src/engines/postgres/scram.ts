// SCRAM-SHA-256 verifiers as Postgres stores them in pg_authid.rolpassword (RFC 5802/7677, the
// format of src/common/scram-common.c): SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
// opsflow computes the verifier itself and sends only that (ALTER ROLE … PASSWORD '<verifier>'), as
// real operators do: the password never reaches the server, a statement log or an error message.
// Deterministic given the salt (the caller draws it), so testable against Postgres' own output.
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const SCRAM_ITERATIONS = 4096; // Postgres' scram_iterations default
export const SCRAM_SALT_BYTES = 16;

// Printable ASCII: SASLprep changes nothing, so this hash is the one Postgres computes at login.
const HASHABLE = /^[\x20-\x7e]+$/;

/** What opsflow accepts in a role's Secret: at least 8 characters of printable ASCII. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'is shorter than 8 characters';
  if (!HASHABLE.test(password)) return 'must be printable ASCII';
  return undefined;
}

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

export function scramVerifier(password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): string {
  if (!HASHABLE.test(password)) throw new Error('the password must be printable ASCII');
  const k = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${k.storedKey.toString('base64')}:${k.serverKey.toString('base64')}`;
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Whether a stored verifier (rolpassword; null/md5/garbage: no) is the one of this password. */
export function verifierMatches(stored: string | null | undefined, password: string): boolean {
  const m = VERIFIER.exec(stored ?? '');
  if (!m || !HASHABLE.test(password)) return false;
  const iterations = Number(m[1]);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
  const k = keys(password, Buffer.from(m[2] ?? '', 'base64'), iterations);
  const stKey = Buffer.from(m[3] ?? '', 'base64');
  const svKey = Buffer.from(m[4] ?? '', 'base64');
  return stKey.length === 32 && svKey.length === 32 && timingSafeEqual(stKey, k.storedKey) && timingSafeEqual(svKey, k.serverKey);
}
