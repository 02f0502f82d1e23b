// Start-up configuration: Temporal connection (address, TLS, mTLS, API key) and metrics, each bad
// value rejected with the variable's name; secrets never echoed; connection options built from files.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { describeConnection, temporalConnectionOptions } from '../../src/temporal/connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'opsflow-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ca = file('ca.crt', 'CA PEM');
const crt = file('tls.crt', 'CERT PEM');
const key = file('tls.key', 'KEY PEM');

function fails(env: NodeJS.ProcessEnv, variable: string, pattern?: RegExp): Error {
  let err: Error | undefined;
  try {
    loadConfig(env);
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, `expected ${JSON.stringify(env)} to be rejected`);
  assert.match(err.message, new RegExp(`\\b${variable}: `), err.message);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

describe('configuration from the environment', () => {
  it('defaults: local Temporal without TLS, metrics on loopback 9464', () => {
    const c = loadConfig({});
    assert.deepEqual(c.temporal, { address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233', taskQueue: 'opsflow' });
    assert.deepEqual(c.metrics, { address: '127.0.0.1:9464' });
    assert.deepEqual(temporalConnectionOptions(c.temporal), { address: '127.0.0.1:7233' });
  });

  it('bad values name their variable', () => {
    fails({ TEMPORAL_ADDRESS: 'temporal' }, 'TEMPORAL_ADDRESS', /host:port/);
    fails({ TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS', /true or false/);
    fails({ TEMPORAL_TLS_CA_PATH: join(dir, 'missing.crt') }, 'TEMPORAL_TLS_CA_PATH', /not a readable file \(ENOENT\)/);
    fails({ TEMPORAL_TLS_CA_PATH: dir }, 'TEMPORAL_TLS_CA_PATH', /not a readable file/);
    fails({ OPSFLOW_METRICS_ADDRESS: '9464' }, 'OPSFLOW_METRICS_ADDRESS', /host:port/);
    fails({ TEMPORAL_NAMESPACE: ' ', TEMPORAL_ADDRESS: 'x' }, 'TEMPORAL_ADDRESS');
  });

  it('mTLS needs the certificate and the key together', () => {
    fails({ TEMPORAL_TLS_CERT_PATH: crt }, 'TEMPORAL_TLS_KEY_PATH', /both/);
    fails({ TEMPORAL_TLS_KEY_PATH: key }, 'TEMPORAL_TLS_CERT_PATH', /both/);
    fails({ TEMPORAL_TLS_CERT_PATH: crt, TEMPORAL_TLS_KEY_PATH: join(dir, 'nope.key') }, 'TEMPORAL_TLS_KEY_PATH', /ENOENT/);
  });

  it('TLS: explicit, implied by a TLS file, server name or API key; files read into the connection options', () => {
    assert.deepEqual(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls, {});
    assert.deepEqual(loadConfig({ TEMPORAL_TLS: '1' }).temporal.tls, {});
    assert.equal(loadConfig({ TEMPORAL_TLS: 'false' }).temporal.tls, undefined);
    assert.deepEqual(loadConfig({ TEMPORAL_TLS_CA_PATH: ca }).temporal.tls, { caPath: ca });
    assert.deepEqual(loadConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com' }).temporal.tls, { serverName: 'temporal.example.com' });
    const c = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_CERT_PATH: crt, TEMPORAL_TLS_KEY_PATH: key, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
    assert.deepEqual(temporalConnectionOptions(c.temporal), {
      address: 'ns.acct.tmprl.cloud:7233',
      tls: { serverNameOverride: 'temporal.test', serverRootCACertificate: Buffer.from('CA PEM'), clientCertPair: { crt: Buffer.from('CERT PEM'), key: Buffer.from('KEY PEM') } },
    });
    assert.equal(describeConnection(c.temporal).tls, 'mTLS');
  });

  it('an API key implies TLS, is passed to the connection, and is never echoed', () => {
    const secret = 'sk-0123456789-very-secret';
    const c = loadConfig({ TEMPORAL_API_KEY: secret });
    assert.deepEqual(c.temporal.tls, {});
    assert.deepEqual(temporalConnectionOptions(c.temporal), { address: '127.0.0.1:7233', tls: {}, apiKey: secret });
    assert.ok(!JSON.stringify(describeConnection(c.temporal)).includes(secret));
    assert.equal(describeConnection(c.temporal).apiKey, 'set');
    const err = fails({ TEMPORAL_API_KEY: secret, TEMPORAL_TLS: 'false' }, 'TEMPORAL_API_KEY', /only sent over TLS/);
    assert.ok(!err.message.includes(secret), 'the key is not in the error');
  });

  it('TLS settings while TEMPORAL_TLS=false are a contradiction, named', () => {
    fails({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_PATH: ca }, 'TEMPORAL_TLS_CA_PATH', /TEMPORAL_TLS is false/);
    fails({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'x' }, 'TEMPORAL_TLS_SERVER_NAME', /TEMPORAL_TLS is false/);
  });

  it('an empty variable counts as unset', () => {
    assert.equal(loadConfig({ TEMPORAL_TLS_CA_PATH: '', TEMPORAL_API_KEY: '' }).temporal.tls, undefined);
  });
});
