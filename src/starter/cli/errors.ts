// Exit codes scripts can rely on, and the translation of any error into one clear line with its code.
import { ApiException } from '@kubernetes/client-node';
import { apiErrorMessage } from '../../k8s/client.ts';

export const EXIT = {
  /** The command did what was asked (for --wait/--watch: the operation ended Successful or Skipped). */
  ok: 0,
  /** The operation ended Failed (or the command failed for a reason not listed below). */
  failed: 1,
  /** Usage error or bad input: unknown flag, invalid file, a field the schema rejects. */
  usage: 2,
  /** The Kubernetes API server or Temporal could not be reached. */
  unreachable: 3,
  /** The OpsRequest or database named does not exist. */
  notFound: 4,
  /** Not allowed in the current state: approve a run that needs none, retry a run that did not fail, … */
  state: 5,
} as const;

/** The API server the command talks to, once known (for the unreachable message). */
export const target: { server?: string } = {};

export class CliError extends Error {
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

const NETWORK = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN|socket hang up|fetch failed|connect ETIMEDOUT|certificate|self[- ]signed/i;

/** The whole message chain (error and causes), for matching network failures. */
function chain(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur && i < 6; i++) {
    if (cur instanceof Error) {
      parts.push(cur.message, String((cur as { code?: unknown }).code ?? ''));
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(' ');
}

export function isNetworkError(e: unknown): boolean {
  return NETWORK.test(chain(e));
}

/** Any error as a CliError; server names where the cluster lives, for the unreachable message. */
export function toCliError(e: unknown, server?: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ApiException) {
    const msg = apiErrorMessage(e);
    if (e.code === 404) return new CliError(/page not found/.test(msg) ? 'the opsflow CRDs are not installed in this cluster (kubectl apply -f k8s/crds)' : msg, EXIT.notFound);
    if (e.code === 400 || e.code === 422) return new CliError(`rejected by the API server: ${msg}`, EXIT.usage);
    if (e.code === 401 || e.code === 403) return new CliError(`the API server refused the credentials: ${msg}`, EXIT.unreachable);
    return new CliError(msg, EXIT.failed);
  }
  if (isNetworkError(e)) {
    const first = chain(e).split(' ').slice(0, 40).join(' ').trim();
    return new CliError(`cannot reach the Kubernetes API server${server ? ` at ${server}` : ''}: ${first}`, EXIT.unreachable);
  }
  return new CliError(e instanceof Error ? e.message : String(e), EXIT.failed);
}
