// SIMULATED database servers, dev/test infrastructure only: a tiny, explicit SQL parser for exactly the
// statement shapes opsflow's simulated SingleStore and ProxySQL answer (see README.md). Anything else
// is a SqlError 1064 naming the statement. No expressions beyond literals, @@variables, columns,
// COUNT(*) and a few nullary functions; WHERE is an OR of ANDs of `column <op> literal`.
import { SqlError } from './protocol.ts';

export type Lit = string | number | null;

type Tok =
  | { t: 'id'; v: string; quoted: boolean; start: number; end: number }
  | { t: 'str'; v: string; start: number; end: number }
  | { t: 'num'; v: number | string; start: number; end: number }
  | { t: 'var'; name: string; scope: Scope; start: number; end: number }
  | { t: 'op'; v: string; start: number; end: number };
export type Scope = 'global' | 'session';

export type Expr =
  | { k: 'col'; name: string }
  | { k: 'var'; name: string; scope: Scope }
  | { k: 'lit'; v: Lit }
  | { k: 'star' }
  | { k: 'fn'; name: string; star: boolean };
export interface SelectItem { expr: Expr; name: string }
export type CmpOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'like' | 'not like' | 'in' | 'not in' | 'is null' | 'is not null';
export interface Pred { col: string; op: CmpOp; value: Lit | Lit[] }
/** OR of ANDs. */
export type Where = Pred[][];

export type Stmt =
  | { k: 'select'; items: SelectItem[]; from?: string; where?: Where; orderBy: Array<{ col: string; desc: boolean }>; limit?: number }
  | { k: 'show-variables'; like?: string }
  | { k: 'show'; what: string }
  | { k: 'set'; items: Array<{ name: string; scope: Scope; value: Lit }> }
  | { k: 'set-names' }
  | { k: 'insert'; mode: 'insert' | 'replace' | 'ignore'; table: string; columns?: string[]; rows: Lit[][] }
  | { k: 'update'; table: string; sets: Array<{ col: string; value: Lit }>; where?: Where }
  | { k: 'delete'; table: string; where?: Where }
  | { k: 'load-save'; verb: 'LOAD' | 'SAVE'; words: string[] }
  | { k: 'add-node'; role: 'leaf' | 'aggregator'; user: string; password: string; host: string; port: number; group?: number }
  | { k: 'remove-node'; role: 'leaf' | 'aggregator'; host: string; port: number };

/** The first words of a statement, for error messages and logs (never its literals: they may hold passwords). */
export function statementHead(sql: string): string {
  const text = stripComments(sql).replace(/'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?/g, "'?'").replace(/\s+/g, ' ').trim();
  const words = text.split(' ').slice(0, 5).join(' ');
  return (words.length > 60 ? words.slice(0, 60) : words) || '(empty)';
}

function stripComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(--\s|#)[^\n]*/g, ' ');
}

export const unsupported = (sql: string, what: string) =>
  new SqlError(1064, `You have an error in your SQL syntax: ${what} does not support the statement '${statementHead(sql)}…' (opsflow SIMULATED server: only a few status and config statements are implemented)`, '42000');

/** A string literal for SQL: single-quoted, with quote and backslash escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const OPS = ['<=>', ':=', '<=', '>=', '<>', '!=', '=', '<', '>', ',', '(', ')', '*', '.', ';', ':', '@', '-', '+'];

export function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? '';
    if (/\s/.test(c)) { i++; continue; }
    if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (c === '#' || (sql.startsWith('--', i) && /[\s]|$/.test(sql[i + 2] ?? ''))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SqlError(1064, `unterminated string literal in '${statementHead(sql)}…'`, '42000');
        const d = sql[i] ?? '';
        if (d === '\\') {
          const e = sql[i + 1] ?? '';
          v += ({ n: '\n', t: '\t', r: '\r', 0: '\0', b: '\b', Z: '\x1a' } as Record<string, string>)[e] ?? e;
          i += 2;
        } else if (d === c) {
          if (sql[i + 1] === c) { v += c; i += 2; } else { i++; break; }
        } else { v += d; i++; }
      }
      out.push({ t: 'str', v, start, end: i });
      continue;
    }
    if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new SqlError(1064, `unterminated identifier in '${statementHead(sql)}…'`, '42000');
      out.push({ t: 'id', v: sql.slice(i + 1, end), quoted: true, start, end: end + 1 });
      i = end + 1;
      continue;
    }
    if (sql.startsWith('@@', i)) {
      const m = /^@@(?:(global|session|local)\.)?([A-Za-z_][\w$-]*)/i.exec(sql.slice(i));
      if (!m?.[2]) throw new SqlError(1064, `bad system variable reference in '${statementHead(sql)}…'`, '42000');
      const scope = (m[1] ?? '').toLowerCase() === 'global' ? 'global' : 'session';
      out.push({ t: 'var', name: m[2].toLowerCase(), scope, start, end: i + m[0].length });
      i += m[0].length;
      continue;
    }
    const num = /^\d+(\.\d+)?(e[+-]?\d+)?/i.exec(sql.slice(i));
    if (num && !/[A-Za-z_]/.test(sql[i + num[0].length] ?? '')) {
      const n = Number(num[0]);
      out.push({ t: 'num', v: Number.isSafeInteger(n) || !/^\d+$/.test(num[0]) ? n : num[0], start, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(sql.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], quoted: false, start, end: i + id[0].length });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (!op) throw new SqlError(1064, `unexpected character '${c}' in '${statementHead(sql)}…'`, '42000');
    out.push({ t: 'op', v: op, start, end: i + op.length });
    i += op.length;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly sql: string, private readonly toks: Tok[]) {}

  fail(what = 'statement'): never {
    const at = this.toks[this.i];
    throw new SqlError(1064, `You have an error in your SQL syntax near '${at ? this.sql.slice(at.start, at.start + 30) : 'end of statement'}' in '${statementHead(this.sql)}…' (opsflow SIMULATED server: unsupported ${what})`, '42000');
  }
  peek(o = 0): Tok | undefined { return this.toks[this.i + o]; }
  isKw(w: string, o = 0): boolean {
    const t = this.peek(o);
    return t?.t === 'id' && !t.quoted && t.v.toUpperCase() === w;
  }
  kw(...ws: string[]): boolean {
    if (!ws.every((w, o) => this.isKw(w, o))) return false;
    this.i += ws.length;
    return true;
  }
  expectKw(...ws: string[]): void { if (!this.kw(...ws)) this.fail(`syntax (expected ${ws.join(' ')})`); }
  op(v: string): boolean {
    const t = this.peek();
    if (t?.t === 'op' && t.v === v) { this.i++; return true; }
    return false;
  }
  expectOp(v: string): void { if (!this.op(v)) this.fail(`syntax (expected '${v}')`); }
  end(): void {
    while (this.op(';'));
    if (this.i < this.toks.length) this.fail();
  }
  ident(): string {
    const t = this.peek();
    if (t?.t !== 'id') this.fail('syntax (expected a name)');
    this.i++;
    return t.v;
  }
  /** A name possibly qualified by a schema (`disk.mysql_users`), lower-cased. */
  tableName(): string {
    let n = this.ident();
    if (this.op('.')) n += `.${this.ident()}`;
    return n.toLowerCase();
  }
  literal(): Lit {
    const t = this.peek();
    const neg = t?.t === 'op' && t.v === '-';
    if (neg) this.i++;
    const u = this.peek();
    if (u?.t === 'num') { this.i++; return typeof u.v === 'number' ? (neg ? -u.v : u.v) : `${neg ? '-' : ''}${u.v}`; }
    if (neg) this.fail('literal');
    if (u?.t === 'str') { this.i++; return u.v; }
    if (u?.t === 'id' && !u.quoted) {
      const w = u.v.toUpperCase();
      if (w === 'NULL') { this.i++; return null; }
      if (w === 'TRUE' || w === 'FALSE') { this.i++; return w === 'TRUE' ? 1 : 0; }
      if (w === 'ON' || w === 'OFF') { this.i++; return w; }
    }
    return this.fail('value (only literals are supported)');
  }
  where(): Where {
    const ors: Where = [];
    let ands: Pred[] = [];
    for (;;) {
      ands.push(this.pred());
      if (this.kw('AND')) continue;
      ors.push(ands);
      ands = [];
      if (this.kw('OR')) continue;
      return ors;
    }
  }
  pred(): Pred {
    const col = this.ident();
    const t = this.peek();
    if (t?.t === 'op' && ['=', '!=', '<>', '<', '>', '<=', '>='].includes(t.v)) {
      this.i++;
      return { col, op: (t.v === '<>' ? '!=' : t.v) as CmpOp, value: this.literal() };
    }
    if (this.kw('LIKE')) return { col, op: 'like', value: this.literal() };
    if (this.kw('NOT', 'LIKE')) return { col, op: 'not like', value: this.literal() };
    if (this.kw('IS', 'NOT', 'NULL')) return { col, op: 'is not null', value: null };
    if (this.kw('IS', 'NULL')) return { col, op: 'is null', value: null };
    const not = this.kw('NOT');
    if (this.kw('IN')) {
      this.expectOp('(');
      const vs: Lit[] = [this.literal()];
      while (this.op(',')) vs.push(this.literal());
      this.expectOp(')');
      return { col, op: not ? 'not in' : 'in', value: vs };
    }
    return this.fail('condition (column <op> literal)');
  }

  select(): Stmt {
    if (this.isKw('DISTINCT')) this.fail('SELECT DISTINCT');
    const items: SelectItem[] = [];
    do {
      const first = this.peek();
      if (!first) this.fail();
      let expr: Expr;
      if (first.t === 'op' && first.v === '*') { this.i++; expr = { k: 'star' }; }
      else if (first.t === 'var') { this.i++; expr = { k: 'var', name: first.name, scope: first.scope }; }
      else if (first.t === 'id' && !first.quoted && this.peek(1)?.t === 'op' && (this.peek(1) as { v: string }).v === '(') {
        this.i += 2;
        const star = this.op('*');
        this.expectOp(')');
        expr = { k: 'fn', name: first.v.toUpperCase(), star };
      } else if (first.t === 'id' && !['NULL', 'TRUE', 'FALSE'].includes(first.v.toUpperCase())) { this.i++; expr = { k: 'col', name: first.v }; }
      else expr = { k: 'lit', v: this.literal() };
      const last = this.toks[this.i - 1] ?? first;
      let name = this.sql.slice(first.start, last.end);
      if (expr.k === 'lit' && first.t === 'str') name = String(expr.v);
      if (expr.k === 'col') name = expr.name;
      if (this.kw('AS')) name = this.aliasName();
      else if (this.peek()?.t === 'str' || (this.peek()?.t === 'id' && !['FROM', 'WHERE', 'ORDER', 'LIMIT'].includes((this.peek() as { v: string }).v.toUpperCase()))) name = this.aliasName();
      items.push({ expr, name });
    } while (this.op(','));
    let from: string | undefined;
    let where: Where | undefined;
    const orderBy: Array<{ col: string; desc: boolean }> = [];
    let limit: number | undefined;
    if (this.kw('FROM')) from = this.tableName();
    if (from === 'dual') from = undefined;
    if (this.kw('WHERE')) where = this.where();
    if (this.kw('ORDER', 'BY')) {
      do {
        const col = this.ident();
        const desc = this.kw('DESC');
        if (!desc) this.kw('ASC');
        orderBy.push({ col, desc });
      } while (this.op(','));
    }
    if (this.kw('LIMIT')) {
      const n = this.literal();
      if (typeof n !== 'number') this.fail('LIMIT');
      limit = n;
    }
    this.end();
    return { k: 'select', items, ...(from ? { from } : {}), ...(where ? { where } : {}), orderBy, ...(limit !== undefined ? { limit } : {}) };
  }
  aliasName(): string {
    const t = this.peek();
    if (t?.t === 'str') { this.i++; return t.v; }
    return this.ident();
  }

  show(): Stmt {
    if (!this.kw('GLOBAL')) this.kw('SESSION');
    if (this.kw('VARIABLES')) {
      let like: string | undefined;
      if (this.kw('LIKE')) {
        const v = this.literal();
        if (typeof v !== 'string') this.fail('SHOW VARIABLES LIKE');
        like = v;
      }
      this.end();
      return { k: 'show-variables', ...(like !== undefined ? { like } : {}) };
    }
    const words: string[] = [];
    while (this.peek()?.t === 'id') words.push(this.ident().toUpperCase());
    this.end();
    return { k: 'show', what: words.join(' ') };
  }

  set(): Stmt {
    if (this.kw('NAMES') || this.kw('CHARACTER', 'SET') || this.kw('CHARSET')) {
      while (this.i < this.toks.length && !(this.peek()?.t === 'op' && (this.peek() as { v: string }).v === ';')) this.i++;
      this.end();
      return { k: 'set-names' };
    }
    const items: Array<{ name: string; scope: Scope; value: Lit }> = [];
    do {
      let scope: Scope = 'session';
      let name: string;
      const t = this.peek();
      if (t?.t === 'var') { this.i++; scope = t.scope; name = t.name; }
      else {
        if (this.kw('GLOBAL') || this.kw('PERSIST')) scope = 'global';
        else if (!this.kw('SESSION')) this.kw('LOCAL');
        name = this.ident().toLowerCase();
      }
      if (!this.op('=')) this.expectOp(':=');
      items.push({ name, scope, value: this.literal() });
    } while (this.op(','));
    this.end();
    return { k: 'set', items };
  }

  insert(mode: 'insert' | 'replace' | 'ignore'): Stmt {
    if (mode === 'insert') {
      if (this.kw('OR', 'REPLACE')) mode = 'replace';
      else if (this.kw('OR', 'IGNORE') || this.kw('IGNORE')) mode = 'ignore';
    }
    this.expectKw('INTO');
    const table = this.tableName();
    let columns: string[] | undefined;
    if (this.op('(')) {
      columns = [this.ident()];
      while (this.op(',')) columns.push(this.ident());
      this.expectOp(')');
    }
    if (!this.kw('VALUES')) this.expectKw('VALUE');
    const rows: Lit[][] = [];
    do {
      this.expectOp('(');
      const row: Lit[] = [this.literal()];
      while (this.op(',')) row.push(this.literal());
      this.expectOp(')');
      rows.push(row);
    } while (this.op(','));
    this.end();
    return { k: 'insert', mode, table, ...(columns ? { columns } : {}), rows };
  }

  update(): Stmt {
    const table = this.tableName();
    this.expectKw('SET');
    const sets: Array<{ col: string; value: Lit }> = [];
    do {
      const col = this.ident();
      this.expectOp('=');
      sets.push({ col, value: this.literal() });
    } while (this.op(','));
    const where = this.kw('WHERE') ? this.where() : undefined;
    this.end();
    return { k: 'update', table, sets, ...(where ? { where } : {}) };
  }

  delete(): Stmt {
    this.expectKw('FROM');
    const table = this.tableName();
    const where = this.kw('WHERE') ? this.where() : undefined;
    this.end();
    return { k: 'delete', table, ...(where ? { where } : {}) };
  }

  /** SingleStore: ADD LEAF user[:'password']@'host'[:port] [INTO GROUP n]; ADD AGGREGATOR likewise. */
  addNode(role: 'leaf' | 'aggregator'): Stmt {
    const u = this.peek();
    if (u?.t !== 'id' && u?.t !== 'str') this.fail('ADD LEAF (expected user)');
    this.i++;
    const user = u.v;
    let password = '';
    if (this.op(':')) {
      const p = this.literal();
      password = p === null ? '' : String(p);
    }
    this.expectOp('@');
    const h = this.peek();
    if (h?.t !== 'str' && h?.t !== 'id') this.fail("ADD LEAF (expected 'host')");
    this.i++;
    let port = 3306;
    if (this.op(':')) {
      const p = this.literal();
      if (typeof p !== 'number') this.fail('ADD LEAF (expected a port)');
      port = p;
    }
    let group: number | undefined;
    if (this.kw('INTO', 'GROUP')) {
      const g = this.literal();
      if (typeof g !== 'number') this.fail('ADD LEAF (expected a group number)');
      group = g;
    }
    this.end();
    return { k: 'add-node', role, user, password, host: h.v, port, ...(group !== undefined ? { group } : {}) };
  }

  /** SingleStore: REMOVE LEAF 'host'[:port] [FORCE]; REMOVE AGGREGATOR 'host'[:port]. */
  removeNode(role: 'leaf' | 'aggregator'): Stmt {
    const h = this.peek();
    if (h?.t !== 'str' && h?.t !== 'id') this.fail("REMOVE LEAF (expected 'host')");
    this.i++;
    let port = 3306;
    if (this.op(':')) {
      const p = this.literal();
      if (typeof p !== 'number') this.fail('REMOVE LEAF (expected a port)');
      port = p;
    }
    this.kw('FORCE');
    this.end();
    return { k: 'remove-node', role, host: h.v, port };
  }

  statement(): Stmt {
    if (this.kw('SELECT')) return this.select();
    if (this.kw('SHOW')) return this.show();
    if (this.kw('SET')) return this.set();
    if (this.kw('INSERT')) return this.insert('insert');
    if (this.kw('REPLACE')) return this.insert('replace');
    if (this.kw('UPDATE')) return this.update();
    if (this.kw('DELETE')) return this.delete();
    if (this.kw('ADD', 'LEAF')) return this.addNode('leaf');
    if (this.kw('ADD', 'AGGREGATOR')) return this.addNode('aggregator');
    if (this.kw('REMOVE', 'LEAF')) return this.removeNode('leaf');
    if (this.kw('REMOVE', 'AGGREGATOR')) return this.removeNode('aggregator');
    for (const verb of ['LOAD', 'SAVE'] as const) {
      if (this.kw(verb)) {
        const words: string[] = [];
        while (this.peek()?.t === 'id') words.push(this.ident().toUpperCase());
        this.end();
        return { k: 'load-save', verb, words };
      }
    }
    return this.fail();
  }
}

export function parse(sql: string): Stmt {
  const toks = tokenize(sql);
  if (toks.length === 0) throw new SqlError(1065, 'Query was empty', '42000');
  return new Parser(sql, toks).statement();
}
