// How a local pod runtime (or a test) starts a SIMULATED SingleStore / ProxySQL "container":
// which images are simulated, the command line, and the environment main.ts expects.
import { join } from 'node:path';
import { repoDir } from '../../paths.ts';
import { imageVersion } from './common.ts';

export type SimKind = 'singlestore' | 'proxysql' | 'mysql';

/** The simulated kind of an image (`singlestore/node:alma-8.7.10`, `proxysql/proxysql:2.6.3`), if any. */
export function simulatedKind(image: string): SimKind | undefined {
  const repo = image.replace(/[@:][^/]*$/, '');
  if (/(^|\/)singlestore\/node$/.test(repo)) return 'singlestore';
  if (/(^|\/)(proxysql|kubedb)\/proxysql$/.test(repo)) return 'proxysql'; // upstream's image, or KubeDB's (kubedb/proxysql, ghcr.io/kubedb/proxysql)
  if (/^(docker\.io\/)?(library\/)?mysql$/.test(repo)) return 'mysql';
  return undefined;
}

export { imageVersion };

export const simMain = join(import.meta.dirname, 'main.ts');

/** `node --import tsx main.ts`, to run in `cwd` (the repository, where `--import tsx` resolves). */
export function simCommand(): { command: string; args: string[]; cwd: string } {
  return { command: process.execPath, args: ['--import', 'tsx', simMain], cwd: repoDir };
}

export interface SimPod {
  image: string;
  /** The Pod's IP (the server binds it). */
  ip: string;
  podName: string;
  /** Local directory of the Pod's data volume: state survives a restart there. */
  stateDir: string;
  /** The container's resolved env (NODE_ROLE, MASTER_HOST, MASTER_HOSTADDR, ROOT_*, ADMIN_*, …). */
  containerEnv: Record<string, string>;
  /** name=ip of every member, initial value (the runtime may instead/also write <stateDir>/peers.json). */
  peers?: Record<string, string>;
  /** Local directory of the config volume (SingleStore reads *.cnf there at start). */
  configDir?: string;
}

/** The environment of main.ts for a Pod whose image is simulated. */
export function simEnv(p: SimPod): Record<string, string> {
  const kind = simulatedKind(p.image);
  const version = imageVersion(p.image);
  if (!kind || !version) throw new Error(`${p.image} is not a simulated image with a version tag`);
  return {
    ...p.containerEnv,
    SIM_KIND: kind,
    SIM_VERSION: version,
    SIM_IMAGE: p.image,
    SIM_HOST: p.ip,
    POD_NAME: p.containerEnv.POD_NAME ?? p.podName,
    SIM_STATE_DIR: p.stateDir,
    ...(p.peers ? { SIM_PEERS: Object.entries(p.peers).map(([n, ip]) => `${n}=${ip}`).join(',') } : {}),
    ...(p.configDir ? { SIM_CONFIG_DIR: p.configDir } : {}),
  };
}
