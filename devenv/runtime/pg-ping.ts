// The readiness check of a Postgres container, as pg_isready does it: open a TCP connection to
// podIP:port, send a startup packet and read the server's first answer. An authentication request
// (or any error other than "cannot connect now") means the server accepts connections; SQLSTATE 57P03
// (starting up, in recovery before consistency, shutting down) or no answer means it does not.
// No credentials are needed and no session is opened.
import { connect } from 'node:net';

export type PingResult = { ok: true } | { ok: false; reason: string };

function startupPacket(user: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0postgres\0application_name\0opsflow-readiness\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, params]);
}

/** Fields of an ErrorResponse body: S, C (SQLSTATE), M (message), ... */
function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i] ?? 0);
    const end = body.indexOf(0, i + 1);
    if (end < 0) break;
    out[code] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return out;
}

export function pgPing(host: string, port: number, timeoutMs = 1000, user = 'postgres'): Promise<PingResult> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ host, port });
    const done = (r: PingResult) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, reason: `no answer from ${host}:${port} within ${timeoutMs} ms` }));
    socket.once('error', (e) => done({ ok: false, reason: `${host}:${port}: ${e.message}` }));
    socket.once('close', () => done({ ok: false, reason: `${host}:${port} closed the connection without answering` }));
    socket.once('connect', () => socket.write(startupPacket(user)));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 5) return;
      const type = String.fromCharCode(buf[0] ?? 0);
      if (type === 'R') {
        done({ ok: true });
        return;
      }
      const len = buf.readInt32BE(1);
      if (buf.length < 1 + len) return;
      if (type === 'E') {
        const f = errorFields(buf.subarray(5, 1 + len));
        if (f.C === '57P03') done({ ok: false, reason: f.M ?? 'the database system cannot accept connections now' });
        else done({ ok: true }); // an answer that is not "not now" (e.g. unknown user): the server is up
        return;
      }
      done({ ok: false, reason: `unexpected answer '${type}' from ${host}:${port}` });
    });
  });
}
