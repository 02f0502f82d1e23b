// Temporal connection options from opsflow's configuration: address, TLS (server CA, client
// certificate for mTLS, server name override) and the API key. One builder for the worker's
// NativeConnection and every client's Connection, so they always agree.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';

export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/** Reads the TLS files named by the configuration (validated at start-up) into connection options. */
export function temporalConnectionOptions(cfg: Config['temporal']): TemporalConnectionOptions {
  const t = cfg.tls;
  const tls = t
    ? {
        ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
        ...(t.caPath ? { serverRootCACertificate: readFileSync(t.caPath) } : {}),
        ...(t.certPath && t.keyPath ? { clientCertPair: { crt: readFileSync(t.certPath), key: readFileSync(t.keyPath) } } : {}),
      }
    : undefined;
  return { address: cfg.address, ...(tls ? { tls } : {}), ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}) };
}

/** What can be logged about the connection: never the key or file contents. */
export function describeConnection(cfg: Config['temporal']): Record<string, unknown> {
  return {
    temporal: cfg.address,
    temporalNamespace: cfg.namespace,
    tls: cfg.tls ? (cfg.tls.certPath ? 'mTLS' : 'TLS') : 'off',
    ...(cfg.tls?.serverName ? { tlsServerName: cfg.tls.serverName } : {}),
    apiKey: cfg.apiKey ? 'set' : 'unset',
  };
}
