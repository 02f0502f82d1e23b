// postgresql.conf syntax (pure), strict and as PostgreSQL's own lexer (guc-file.l) reads it: one
// `name [=] value` per line, an optional `# comment`, nothing else. A value is one token: a quoted
// string ('' or \' for a quote, backslash escapes) or an unquoted word/number. Anything the server
// would read differently from us is refused with the line number, so what we validate is what runs.

/** A line the parser refuses; `line` is 1-based. */
export class ConfSyntaxError extends Error {
  constructor(readonly line: number, readonly problem: string) {
    super(`line ${line}: ${problem}`);
    this.name = 'ConfSyntaxError';
  }
}

// guc-file.l: ID {LETTER}{LETTER_OR_DIGIT}*, QUALIFIED_ID {ID}"."{ID} (extension parameters).
const NAME = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*(?:\.[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?$/;
// INTEGER (with unit letters, hex), REAL, or UNQUOTED_STRING ({LETTER}({LETTER_OR_DIGIT}|[-._:/])*).
const UNQUOTED = /^(?:[-+]?(?:\d+|0x[0-9A-Fa-f]+)[A-Za-z]*|[-+]?\d*\.\d*(?:[Ee][-+]?\d+)?[A-Za-z]*|[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff._:/-]*)$/;
const WORD_CHAR = /[A-Za-z0-9_\u0080-\uffff.:/+-]/;
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export interface ConfEntry { name: string; value: string; line: number }

const shown = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Reads a quoted string starting at `text[start]` (a quote); returns the value and the index after it. */
function readQuoted(text: string, start: number, line: number): { value: string; end: number } {
  let out = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) {
      throw new ConfSyntaxError(line, `unterminated quoted value ${shown(text.slice(start))} (close it with '; write a quote inside as '')`);
    }
    const c = text.charAt(i);
    if (c === '\\') {
      if (i + 1 >= text.length) throw new ConfSyntaxError(line, 'a dangling backslash at the end of the line (the quoted value is not closed)');
      const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1));
      if (oct) {
        out += String.fromCharCode(parseInt(oct[0], 8));
        i += 1 + oct[0].length;
        continue;
      }
      const n = text.charAt(i + 1);
      out += ESCAPES[n] ?? n;
      i += 2;
      continue;
    }
    if (c === "'") {
      if (text.charAt(i + 1) === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    out += c;
    i++;
  }
}

/** Parses one line; undefined for a blank or comment-only line. */
export function parseLine(raw: string, line: number): ConfEntry | undefined {
  const text = raw.replace(/\r$/, '');
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
  };
  skipSpace();
  if (i >= text.length || text.charAt(i) === '#') return undefined;
  const nameStart = i;
  while (i < text.length && /[^\s=#']/.test(text.charAt(i))) i++;
  const name = text.slice(nameStart, i);
  if (!NAME.test(name)) throw new ConfSyntaxError(line, `${shown(name)} is not a parameter name (letters, digits and _, one optional dot)`);
  skipSpace();
  if (text.charAt(i) === '=') {
    i++;
    skipSpace();
  }
  if (i >= text.length || text.charAt(i) === '#') throw new ConfSyntaxError(line, `${shown(text.trim())} is not "name = value"`);
  let value: string;
  if (text.charAt(i) === "'") {
    const q = readQuoted(text, i, line);
    value = q.value;
    i = q.end;
  } else {
    const start = i;
    while (i < text.length && WORD_CHAR.test(text.charAt(i))) i++;
    value = text.slice(start, i);
    if (!value || !UNQUOTED.test(value)) {
      const bad = value || text.charAt(i);
      throw new ConfSyntaxError(line, `${name}: ${shown(bad)} must be quoted ('…') or be a plain word or number`);
    }
  }
  skipSpace();
  if (i < text.length && text.charAt(i) !== '#') {
    throw new ConfSyntaxError(line, `${name}: trailing text ${shown(text.slice(i))} after the value (one value per line; quote a value with spaces)`);
  }
  return { name: name.toLowerCase(), value, line };
}

/** Every entry of a postgresql.conf text, in order (a later line for the same name wins, as in the server). */
export function parseEntries(text: string): ConfEntry[] {
  const out: ConfEntry[] = [];
  text.split('\n').forEach((raw, idx) => {
    const e = parseLine(raw, idx + 1);
    if (e) out.push(e);
  });
  return out;
}

/** A value as a quoted postgresql.conf string the server reads back as exactly `value`. */
export function quoteValue(value: string): string {
  const body = value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `'${body}'`;
}
