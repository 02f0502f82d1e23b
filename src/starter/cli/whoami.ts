// Who the API server says the CLI's user is (SelfSubjectReview, authentication.k8s.io/v1): the name
// the approval admission policy compares with request.userInfo.username.
import { AuthenticationV1Api } from '@kubernetes/client-node';
import type { Ctx } from './context.ts';

export async function whoami(ctx: Ctx): Promise<string> {
  const r = await ctx.kube.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  const name = r.status?.userInfo?.username;
  if (!name) throw new Error('the API server did not say who you are (SelfSubjectReview has no username)');
  return name;
}
