// SIMULATED database servers, dev/test infrastructure only: the server side of the MySQL client/server
// protocol, just enough for opsflow's simulated SingleStore and ProxySQL (and for real clients such as
// mysql2 or the mysql CLI to talk to them): handshake v10, mysql_native_password (with an auth switch
// for clients that open with another plugin), COM_QUERY / COM_PING / COM_INIT_DB / COM_QUIT /
// COM_RESET_CONNECTION, text result sets with classic EOF packets. No TLS, no compression, no prepared
// statements, no multi-statements, no packets of 16 MiB or more.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';

export type Cell = string | number | null;
export interface Column {
  name: string;
  /** How the column is typed on the wire: LONGLONG ('int') or VAR_STRING ('str', the default). */
  type?: 'int' | 'str';
}
export type Reply =
  | { kind: 'ok'; affectedRows: number; info?: string }
  | { kind: 'rows'; columns: Column[]; rows: Cell[][] }
  | { kind: 'error'; code: number; state: string; message: string };

export const ok = (affectedRows = 0, info?: string): Reply => ({ kind: 'ok', affectedRows, ...(info ? { info } : {}) });
export const resultSet = (columns: Column[], rows: Cell[][]): Reply => ({ kind: 'rows', columns, rows });

/** A MySQL error to send to the client (thrown anywhere below a query handler). */
export class SqlError extends Error {
  constructor(readonly code: number, message: string, readonly state = 'HY000') {
    super(message);
  }
}

/** How a user's password is known: in clear, or as MySQL's SHA1(SHA1(password)) (a `*HEX` hash). */
export type Credential = { password: string } | { doubleSha1: Buffer };

export interface Session {
  id: number;
  user: string;
  remoteAddress: string;
}

export interface ServerOptions {
  host: string;
  port: number;
  /** Sent in the handshake (what `mysql --version`-style clients show as the server version). */
  serverVersion: string;
  credential(user: string): Credential | undefined;
  query(sql: string, session: Session): Promise<Reply> | Reply;
  onError?: (message: string) => void;
}

// Capability flags (https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html).
const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_FOUND_ROWS = 0x2;
const CLIENT_LONG_FLAG = 0x4;
const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_INTERACTIVE = 0x400;
const CLIENT_SSL = 0x800;
const CLIENT_TRANSACTIONS = 0x2000;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_MULTI_RESULTS = 0x20000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const CLIENT_CONNECT_ATTRS = 0x100000;
const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;
const SERVER_CAPABILITIES = CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB
  | CLIENT_PROTOCOL_41 | CLIENT_INTERACTIVE | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS
  | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;
const CHARSET_UTF8 = 33; // utf8_general_ci
const CHARSET_BINARY = 63;
const TYPE_LONGLONG = 0x08;
const TYPE_VAR_STRING = 0xfd;
const NATIVE = 'mysql_native_password';

const sha1 = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest();

/** SHA1(SHA1(password)): what MySQL stores for mysql_native_password (`*` + upper hex in mysql.user). */
export const doubleSha1 = (password: string) => sha1(sha1(Buffer.from(password, 'utf8')));

/** Checks a mysql_native_password token: token = SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
export function verifyNativePassword(cred: Credential, scramble: Buffer, token: Buffer): boolean {
  if ('password' in cred && cred.password === '') return token.length === 0;
  const stage2 = 'password' in cred ? doubleSha1(cred.password) : cred.doubleSha1;
  if (token.length !== 20 || stage2.length !== 20) return false;
  const mask = sha1(scramble, stage2);
  const stage1 = Buffer.alloc(20);
  for (let i = 0; i < 20; i++) stage1[i] = (token[i] ?? 0) ^ (mask[i] ?? 0);
  return timingSafeEqual(sha1(stage1), stage2);
}

function lenencInt(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = 0xfc; b.writeUInt16LE(n, 1); return b; }
  if (n < 0x1000000) { const b = Buffer.alloc(4); b[0] = 0xfd; b.writeUIntLE(n, 1, 3); return b; }
  const b = Buffer.alloc(9); b[0] = 0xfe; b.writeBigUInt64LE(BigInt(n), 1); return b;
}
const lenencStr = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([lenencInt(b.length), b]);
};
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const nul = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);

function readLenenc(p: Buffer, o: number): [number, number] {
  const first = p[o] ?? 0;
  if (first < 0xfb) return [first, o + 1];
  if (first === 0xfc) return [p.readUInt16LE(o + 1), o + 3];
  if (first === 0xfd) return [p.readUIntLE(o + 1, 3), o + 4];
  return [Number(p.readBigUInt64LE(o + 1)), o + 9];
}
function readNul(p: Buffer, o: number): [string, number] {
  let end = p.indexOf(0, o);
  if (end < 0) end = p.length;
  return [p.subarray(o, end).toString('utf8'), end + 1];
}

/** 20 printable, non-NUL scramble bytes (what mysqld generates too). */
function makeScramble(): Buffer {
  const r = randomBytes(20);
  for (let i = 0; i < r.length; i++) r[i] = 0x21 + ((r[i] ?? 0) % 0x5e);
  return r;
}

export function okPayload(affectedRows: number, info?: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), lenencInt(affectedRows), lenencInt(0), u16(SERVER_STATUS_AUTOCOMMIT), u16(0), ...(info ? [Buffer.from(info, 'utf8')] : [])]);
}
export function errPayload(code: number, state: string, message: string): Buffer {
  return Buffer.concat([Buffer.from([0xff]), u16(code), Buffer.from(`#${state.padEnd(5, '0').slice(0, 5)}`, 'ascii'), Buffer.from(message, 'utf8')]);
}
const eofPayload = () => Buffer.concat([Buffer.from([0xfe]), u16(0), u16(SERVER_STATUS_AUTOCOMMIT)]);

function columnPayload(c: Column): Buffer {
  const int = c.type === 'int';
  return Buffer.concat([
    lenencStr('def'), lenencStr(''), lenencStr(''), lenencStr(''), lenencStr(c.name), lenencStr(c.name),
    lenencInt(0x0c), u16(int ? CHARSET_BINARY : CHARSET_UTF8), u32(int ? 20 : 1024 * 3),
    Buffer.from([int ? TYPE_LONGLONG : TYPE_VAR_STRING]), u16(0), Buffer.from([0]), u16(0),
  ]);
}
const rowPayload = (row: Cell[]) => Buffer.concat(row.map((v) => (v === null ? Buffer.from([0xfb]) : lenencStr(String(v)))));

/** The payloads of a reply, in order (sequence ids are added by the writer). */
export function replyPayloads(r: Reply): Buffer[] {
  if (r.kind === 'ok') return [okPayload(r.affectedRows, r.info)];
  if (r.kind === 'error') return [errPayload(r.code, r.state, r.message)];
  return [lenencInt(r.columns.length), ...r.columns.map(columnPayload), eofPayload(), ...r.rows.map(rowPayload), eofPayload()];
}

function frame(seq: number, payloads: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of payloads) {
    if (p.length >= 0xffffff) throw new Error('reply packet too large for the simulated server');
    const h = Buffer.alloc(4);
    h.writeUIntLE(p.length, 0, 3);
    h[3] = seq & 0xff;
    seq++;
    parts.push(h, p);
  }
  return Buffer.concat(parts);
}

let nextConnectionId = 1;

/** Listens on host:port and serves each connection until it closes. */
export function startMysqlServer(opts: ServerOptions): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, opts);
  });
  openSockets.set(server, sockets);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', (e) => opts.onError?.(`server error: ${e.message}`));
      resolve(server);
    });
  });
}

const openSockets = new WeakMap<Server, Set<Socket>>();

/** Stops listening and drops every open connection (a stopped database does not linger). */
export function stopMysqlServer(server: Server): Promise<void> {
  const done = new Promise<void>((r) => server.close(() => r()));
  for (const s of openSockets.get(server) ?? []) s.destroy();
  return done;
}

function serve(socket: Socket, opts: ServerOptions): void {
  const id = nextConnectionId++;
  const scramble = makeScramble();
  const remoteAddress = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  let phase: 'handshake' | 'switch' | 'command' = 'handshake';
  let user = '';
  let buf: Buffer = Buffer.alloc(0);
  let chain = Promise.resolve();
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());

  const write = (seq: number, payloads: Buffer[]) => {
    if (!socket.destroyed) socket.write(frame(seq, payloads));
  };

  const denied = (seq: number, usedPassword: boolean) => {
    write(seq, [errPayload(1045, '28000', `Access denied for user '${user}'@'${remoteAddress}' (using password: ${usedPassword ? 'YES' : 'NO'})`)]);
    socket.end();
  };

  const authenticate = (seq: number, token: Buffer) => {
    const cred = opts.credential(user);
    if (!cred || !verifyNativePassword(cred, scramble, token)) return denied(seq, token.length > 0);
    phase = 'command';
    write(seq, [okPayload(0)]);
  };

  const onPacket = async (seq: number, p: Buffer): Promise<void> => {
    if (phase === 'handshake') {
      if (p.length < 32) {
        write(seq + 1, [errPayload(1043, '08S01', 'Bad handshake (this simulated server offers no TLS)')]);
        socket.end();
        return;
      }
      const caps = p.readUInt32LE(0);
      if (!(caps & CLIENT_PROTOCOL_41) || caps & CLIENT_SSL) {
        write(seq + 1, [errPayload(1043, '08S01', 'Bad handshake')]);
        socket.end();
        return;
      }
      let o = 32;
      [user, o] = readNul(p, o);
      let token: Buffer;
      if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        let n: number;
        [n, o] = readLenenc(p, o);
        token = p.subarray(o, o + n);
        o += n;
      } else if (caps & CLIENT_SECURE_CONNECTION) {
        const n = p[o] ?? 0;
        token = p.subarray(o + 1, o + 1 + n);
        o += 1 + n;
      } else {
        const [s, next] = readNul(p, o);
        token = Buffer.from(s, 'latin1');
        o = next;
      }
      if (caps & CLIENT_CONNECT_WITH_DB) [, o] = readNul(p, o);
      let plugin = NATIVE;
      if (caps & CLIENT_PLUGIN_AUTH && o < p.length) [plugin] = readNul(p, o);
      if (plugin !== NATIVE) {
        // The client opened with another plugin (caching_sha2_password, say): ask for ours.
        phase = 'switch';
        write(seq + 1, [Buffer.concat([Buffer.from([0xfe]), nul(NATIVE), scramble, Buffer.from([0])])]);
        return;
      }
      authenticate(seq + 1, token);
      return;
    }
    if (phase === 'switch') {
      authenticate(seq + 1, p);
      return;
    }
    const cmd = p[0];
    if (cmd === 0x01) { socket.end(); return; } // COM_QUIT
    if (cmd === 0x02 || cmd === 0x0e || cmd === 0x1f) { write(seq + 1, [okPayload(0)]); return; } // INIT_DB, PING, RESET_CONNECTION
    if (cmd !== 0x03) {
      write(seq + 1, [errPayload(1047, '08S01', `Unknown command ${cmd ?? '?'} (opsflow simulated server: only text queries)`)]);
      return;
    }
    const sql = p.subarray(1).toString('utf8');
    let reply: Reply;
    try {
      reply = await opts.query(sql, { id, user, remoteAddress });
    } catch (e) {
      reply = e instanceof SqlError
        ? { kind: 'error', code: e.code, state: e.state, message: e.message }
        : { kind: 'error', code: 1105, state: 'HY000', message: `internal error of the simulated server: ${e instanceof Error ? e.message : String(e)}` };
      if (!(e instanceof SqlError)) opts.onError?.(`query failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    write(seq + 1, replyPayloads(reply));
  };

  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readUIntLE(0, 3);
      if (len === 0xffffff) { socket.destroy(); return; }
      if (buf.length < 4 + len) break;
      const seq = buf[3] ?? 0;
      const payload = Buffer.from(buf.subarray(4, 4 + len));
      buf = buf.subarray(4 + len);
      chain = chain.then(() => onPacket(seq, payload)).catch((e: unknown) => {
        opts.onError?.(`connection ${id}: ${e instanceof Error ? e.message : String(e)}`);
        socket.destroy();
      });
    }
  });

  // Handshake v10.
  write(0, [Buffer.concat([
    Buffer.from([10]), nul(opts.serverVersion), u32(id), scramble.subarray(0, 8), Buffer.from([0]),
    u16(SERVER_CAPABILITIES & 0xffff), Buffer.from([CHARSET_UTF8]), u16(SERVER_STATUS_AUTOCOMMIT),
    u16(SERVER_CAPABILITIES >>> 16), Buffer.from([21]), Buffer.alloc(10), scramble.subarray(8, 20), Buffer.from([0]), nul(NATIVE),
  ])]);
}

/**
 * Whether a MySQL-protocol server answers at host:port: connects and waits for a handshake v10
 * greeting (no login). Resolves with the round trip in ms, or undefined.
 */
export function greets(host: string, port: number, timeoutMs: number, localAddress?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let got: Buffer = Buffer.alloc(0);
    let settled = false;
    const socket = new Socket();
    const done = (ms: number | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ms);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 5) done(got[4] === 10 ? Number(process.hrtime.bigint() - started) / 1e6 : undefined);
    });
    socket.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
  });
}
