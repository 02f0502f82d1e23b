// A write fence on a KubeConfig: every request that is not a read (POST, PUT, PATCH, DELETE) made
// through clients of this KubeConfig is refused unless the process is the leader at the moment it
// is sent. Reads and watches pass, so a follower's informers stay warm. Each write that passes is
// reported (method, path), which is how the tests count writes by identity.
import type * as k8s from '@kubernetes/client-node';
import type { Leadership } from './leader-election.ts';

export class NotLeaderError extends Error {
  constructor(method: string, path: string) {
    super(`not the leader: ${method} ${path} refused`);
    this.name = 'NotLeaderError';
  }
}

export const isNotLeader = (e: unknown) => e instanceof NotLeaderError;

type Context = { getHttpMethod(): string; getUrl(): string };

export function fenceWrites(kc: k8s.KubeConfig, leadership: Leadership, onWrite?: (method: string, path: string) => void): k8s.KubeConfig {
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx) => {
    const c = ctx as unknown as Context;
    const method = String(c.getHttpMethod()).toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      const path = new URL(c.getUrl()).pathname;
      if (!leadership.isLeader()) throw new NotLeaderError(method, path);
      onWrite?.(method, path);
    }
    return apply(ctx);
  };
  return kc;
}
