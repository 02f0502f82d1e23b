// Temporal connection options for real: a worker started with a bad value exits non-zero naming the
// variable; and a real mTLS connection, through a TLS front end (the dev server serves only
// plaintext: `temporal server start-dev` has no TLS flags) that demands a client certificate of a
// throwaway CA made with openssl, to the real dev server: the client and the worker process connect
// with opsflow's options, and are refused without the client certificate or with the wrong name.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { spawnOpsflow } from '../../devenv/process.ts';
import { loadConfig } from '../../src/config.ts';
import { connectClient } from '../../src/temporal/client.ts';
import { eventually } from '../support/kube.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

function run(which: 'worker' | 'watcher', env: Record<string, string>, logFile: string): Promise<number | null> {
  const child = spawnOpsflow(which, env, logFile);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

/** A throwaway CA, a server certificate for temporal.test and a client certificate, all by openssl. */
function makePki(dir: string) {
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=opsflow test CA']);
  for (const [name, cn, ext] of [['server', 'temporal.test', 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth'], ['client', 'opsflow-worker', 'extendedKeyUsage=clientAuth']] as const) {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    ossl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
  }
  const p = (f: string) => join(dir, f);
  return { ca: p('ca.crt'), serverCrt: p('server.crt'), serverKey: p('server.key'), clientCrt: p('client.crt'), clientKey: p('client.key') };
}

describe('Temporal connection options (real processes, real mTLS)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'opsflow-tls-'));

  it('a worker with a bad value exits non-zero with a message naming the variable', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ TEMPORAL_TLS_CERT_PATH: join(dir, 'missing.crt'), TEMPORAL_TLS_KEY_PATH: join(dir, 'missing.key') }, 'TEMPORAL_TLS_CERT_PATH'],
      [{ TEMPORAL_ADDRESS: 'no-port' }, 'TEMPORAL_ADDRESS'],
      [{ TEMPORAL_API_KEY: 'k-secret-1234', TEMPORAL_TLS: 'false' }, 'TEMPORAL_API_KEY'],
    ];
    for (const [env, variable] of cases) {
      for (const which of ['worker', 'watcher'] as const) {
        const log = join(dir, `${which}-${variable}.log`);
        const code = await run(which, env, log);
        const text = readFileSync(log, 'utf8');
        assert.notEqual(code, 0, `${which} with bad ${variable} exited ${code}`);
        const line = JSON.parse(text.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { level?: string; msg?: string };
        assert.equal(line.level, 'error', text);
        assert.match(line.msg ?? '', new RegExp(`${variable}: `), text);
        assert.ok(!text.includes('k-secret-1234'), 'the API key is never printed');
      }
    }
  });

  it('a worker whose metrics port is taken exits non-zero naming OPSFLOW_METRICS_ADDRESS', async () => {
    const busy = createNetServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const log = join(dir, 'worker-metrics-busy.log');
      const code = await run('worker', { TEMPORAL_ADDRESS: temporalAddress(), OPSFLOW_METRICS_ADDRESS: `127.0.0.1:${(busy.address() as AddressInfo).port}` }, log);
      assert.equal(code, 2, readFileSync(log, 'utf8'));
      assert.match(readFileSync(log, 'utf8'), /"level":"error","msg":"OPSFLOW_METRICS_ADDRESS: cannot serve metrics on 127\.0\.0\.1:\d+: .*in use/);
    } finally {
      busy.close();
    }
  });

  describe('mTLS through a TLS front end that requires a client certificate', () => {
    let pki: ReturnType<typeof makePki>;
    let proxy: Server;
    let address: string;
    const handshakes: Array<{ authorized: boolean; cn?: string }> = [];

    before(async () => {
      pki = makePki(dir);
      const [host, port] = temporalAddress().split(':');
      proxy = createServer({
        key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCrt), ca: readFileSync(pki.ca),
        requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'],
      }, (sock: TLSSocket) => {
        handshakes.push({ authorized: sock.authorized, cn: (sock.getPeerCertificate().subject as { CN?: string } | undefined)?.CN });
        const up = netConnect(Number(port), host ?? '127.0.0.1');
        sock.pipe(up).pipe(sock);
        const end = () => { sock.destroy(); up.destroy(); };
        sock.on('error', end);
        up.on('error', end);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
      address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => proxy.close(() => r())));

    const tlsEnv = () => ({
      TEMPORAL_ADDRESS: address, TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA_PATH: pki.ca,
      TEMPORAL_TLS_CERT_PATH: pki.clientCrt, TEMPORAL_TLS_KEY_PATH: pki.clientKey, TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    });

    it('connectClient with the configured CA, client certificate and server name talks to Temporal', async () => {
      const before = handshakes.length;
      const client = await connectClient(loadConfig(tlsEnv()).temporal);
      const info = await client.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'the server answered through mTLS');
      await client.connection.close();
      assert.deepEqual(handshakes.slice(before)[0], { authorized: true, cn: 'opsflow-worker' });
    });

    it('without the client certificate, or with another server name, the connection is refused', async () => {
      const noCert = loadConfig({ ...tlsEnv(), TEMPORAL_TLS_CERT_PATH: '', TEMPORAL_TLS_KEY_PATH: '' }).temporal;
      await assert.rejects(async () => {
        const c = await connectClient(noCert);
        await c.workflowService.getSystemInfo({});
      });
      const wrongName = loadConfig({ ...tlsEnv(), TEMPORAL_TLS_SERVER_NAME: 'other.test' }).temporal;
      await assert.rejects(async () => {
        const c = await connectClient(wrongName);
        await c.workflowService.getSystemInfo({});
      });
    });

    it('the worker process connects with mTLS from its environment', async () => {
      const before = handshakes.length;
      const log = join(dir, 'worker-mtls.log');
      const child = spawnOpsflow('worker', { ...tlsEnv(), OPSFLOW_TASK_QUEUE: uniqueTaskQueue('mtls') }, log);
      try {
        const started = await eventually('the worker started over mTLS', async () => {
          if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${readFileSync(log, 'utf8')}`);
          const line = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'worker started');
          return line;
        }, 90_000, 500);
        assert.equal(started.tls, 'mTLS');
        assert.equal(started.temporal, address);
        assert.ok(handshakes.slice(before).some((h) => h.authorized && h.cn === 'opsflow-worker'), 'the worker presented its client certificate');
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    });
  });
});
