// kwok's Stage objects for the local cluster (kwok v0.7.0). kwokctl adds its default stages only when
// the config holds no Stage at all, so the defaults are copied here: node-initialize and
// node-heartbeat-with-lease (kustomize/stage/node/..., as kwokctl renders them with
// nodeLeaseDurationSeconds 200), and the "fast" pod stages pod-ready, pod-complete and pod-delete
// (kustomize/stage/pod/fast/*.yaml). Each pod stage gets one more selector term that leaves the Pods
// labelled app.kubernetes.io/managed-by=opsflow alone: the local pod runtime (devenv/runtime/pods.ts)
// is their kubelet (IP, status, real processes, deletion). Every other Pod behaves as with kwok's
// defaults (Ready at once, deleted at once).
//
// Selector semantics (pkg/utils/expression/selector.go): a jq query over the object; NotIn matches
// when the value is missing or null, so Pods without the label stay kwok's.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const LOCAL_RUNTIME_MANAGER = 'opsflow';

/** The selector term every pod stage gets: "not run by the local pod runtime". */
export const notLocalRuntimePod = {
  jq: { key: `.metadata.labels["${MANAGED_BY_LABEL}"]`, operator: 'NotIn', values: [LOCAL_RUNTIME_MANAGER] },
};

const nodeConditionsAndAddresses = `{{ $now := Now }}
{{ $lastTransitionTime := or .metadata.creationTimestamp $now }}
conditions:
{{ range NodeConditions }}
- lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $lastTransitionTime | Quote }}
  message: {{ .message | Quote }}
  reason: {{ .reason | Quote }}
  status: {{ .status | Quote }}
  type: {{ .type  | Quote}}
{{ end }}

addresses:
{{ with .status.addresses }}
{{ YAML . 1 }}
{{ else }}
{{ with NodeIP }}
- address: {{ . | Quote }}
  type: InternalIP
{{ end }}
{{ with NodeName }}
- address: {{ . | Quote }}
  type: Hostname
{{ end }}
{{ end }}

{{ with NodePort }}
daemonEndpoints:
  kubeletEndpoint:
    Port: {{ . }}
{{ end }}
`;

const nodeInitializeTemplate = `${nodeConditionsAndAddresses}
allocatable:
{{ with .status.allocatable }}
{{ YAML . 1 }}
{{ else }}
  cpu: 1k
  memory: 1Ti
  pods: 1M
{{ end }}
capacity:
{{ with .status.capacity }}
{{ YAML . 1 }}
{{ else }}
  cpu: 1k
  memory: 1Ti
  pods: 1M
{{ end }}

{{ $nodeInfo := .status.nodeInfo }}
{{ $kwokVersion := printf "kwok-%s" Version }}
nodeInfo:
  architecture: {{ or $nodeInfo.architecture "amd64" }}
  bootID: {{ or $nodeInfo.bootID \`""\` }}
  containerRuntimeVersion: {{ or $nodeInfo.containerRuntimeVersion $kwokVersion }}
  kernelVersion: {{ or $nodeInfo.kernelVersion $kwokVersion }}
  kubeProxyVersion: {{ or $nodeInfo.kubeProxyVersion $kwokVersion }}
  kubeletVersion: {{ or $nodeInfo.kubeletVersion $kwokVersion }}
  machineID: {{ or $nodeInfo.machineID \`""\` }}
  operatingSystem: {{ or $nodeInfo.operatingSystem "linux" }}
  osImage: {{ or $nodeInfo.osImage \`""\` }}
  systemUUID: {{ or $nodeInfo.systemUUID \`""\` }}
phase: Running
`;

const podReadyTemplate = `{{ $now := Now }}

conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: ContainersReady
{{ range .spec.readinessGates }}
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: {{ .conditionType | Quote }}
{{ end }}

containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}

initContainerStatuses:
{{ range .spec.initContainers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  {{ if eq .restartPolicy "Always" }}
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
  {{ else }}
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $now | Quote }}
      reason: Completed
      startedAt: {{ $now | Quote }}
  {{ end }}
{{ end }}

hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
phase: Running
startTime: {{ $now | Quote }}
`;

const podCompleteTemplate = `{{ $now := Now }}
{{ $root := . }}
containerStatuses:
{{ range $index, $item := .spec.containers }}
{{ $origin := index $root.status.containerStatuses $index }}
- image: {{ $item.image | Quote }}
  name: {{ $item.name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $now | Quote }}
      reason: Completed
      startedAt: {{ $now | Quote }}
{{ end }}
phase: Succeeded
`;

const stage = (name: string, kind: 'Node' | 'Pod', spec: Record<string, unknown>) => ({
  apiVersion: 'kwok.x-k8s.io/v1alpha1',
  kind: 'Stage',
  metadata: { name },
  spec: { resourceRef: { apiGroup: 'v1', kind }, ...spec },
});

/** Every Stage of the local cluster, in the order kwokctl writes its defaults. */
export function kwokStages(): object[] {
  return [
    stage('node-initialize', 'Node', {
      selector: { matchExpressions: [{ jq: { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'NotIn', values: ['True'] } }] },
      next: { statusTemplate: nodeInitializeTemplate },
    }),
    stage('node-heartbeat-with-lease', 'Node', {
      selector: {
        matchExpressions: [
          { jq: { key: '.status.phase', operator: 'In', values: ['Running'] } },
          { jq: { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'In', values: ['True'] } },
        ],
      },
      delay: { durationMilliseconds: 600_000, jitterDurationMilliseconds: 610_000 },
      next: { statusTemplate: nodeConditionsAndAddresses },
    }),
    stage('pod-ready', 'Pod', {
      selector: {
        matchExpressions: [
          { jq: { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' } },
          { jq: { key: '.status.podIP', operator: 'DoesNotExist' } },
          notLocalRuntimePod,
        ],
      },
      next: { statusTemplate: podReadyTemplate },
    }),
    stage('pod-complete', 'Pod', {
      selector: {
        matchExpressions: [
          { jq: { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' } },
          { jq: { key: '.status.phase', operator: 'In', values: ['Running'] } },
          { jq: { key: '.metadata.ownerReferences.[].kind', operator: 'In', values: ['Job'] } },
          notLocalRuntimePod,
        ],
      },
      next: { statusTemplate: podCompleteTemplate },
    }),
    stage('pod-delete', 'Pod', {
      selector: {
        matchExpressions: [
          { jq: { key: '.metadata.deletionTimestamp', operator: 'Exists' } },
          notLocalRuntimePod,
        ],
      },
      next: { finalizers: { empty: true }, delete: true },
    }),
  ];
}
