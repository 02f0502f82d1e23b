// The one place opsflow turns a name or a value into SQL text (pure). Utility statements (CREATE
// ROLE, ALTER DATABASE, …) take no bind parameters, so identifiers are quoted here, always, never
// concatenated raw: the rules of Postgres' quote_ident (double quotes, " doubled) and quote_literal
// (' doubled; the session runs with standard_conforming_strings = on, so backslashes are ordinary), refusing what Postgres cannot
// hold (a NUL) or would silently truncate (more than 63 bytes).
import { MAX_IDENTIFIER_LENGTH } from '../../api/postgres-roles.ts';

export class SqlQuoteError extends Error {}

// In a u-regex a surrogate pair is one code point, so this matches only lone (ill-formed) halves.
const LONE_SURROGATE = /\p{Cs}/u;

/** A double-quoted identifier (always quoted, so case and keywords never matter). */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new SqlQuoteError('an identifier cannot be empty');
  if (name.includes('\0')) throw new SqlQuoteError('an identifier cannot contain a NUL character');
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_LENGTH) throw new SqlQuoteError(`identifier "${name}" is longer than ${MAX_IDENTIFIER_LENGTH} bytes (Postgres would truncate it)`);
  if (LONE_SURROGATE.test(name)) throw new SqlQuoteError('an identifier must be well-formed Unicode');
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted string literal (standard_conforming_strings = on: backslashes are ordinary). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new SqlQuoteError('a string literal cannot contain a NUL character');
  if (LONE_SURROGATE.test(value)) throw new SqlQuoteError('a string literal must be well-formed Unicode');
  return `'${value.replaceAll("'", "''")}'`;
}
