{{/* Names: <release> when it already contains "opsflow", else <release>-opsflow (63 characters at most). */}}
{{- define "opsflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "opsflow.watcher" -}}{{ include "opsflow.fullname" . | trunc 55 | trimSuffix "-" }}-watcher{{- end -}}
{{- define "opsflow.worker" -}}{{ include "opsflow.fullname" . | trunc 56 | trimSuffix "-" }}-worker{{- end -}}

{{- define "opsflow.labels" -}}
app.kubernetes.io/part-of: opsflow
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one process: (dict "root" $ "component" "watcher"). */}}
{{- define "opsflow.selector" -}}
app.kubernetes.io/name: opsflow-{{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "opsflow.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{- end -}}

{{- define "opsflow.apiKeySecret" -}}
{{- if .Values.temporal.apiKey.existingSecret -}}{{ .Values.temporal.apiKey.existingSecret }}{{- else -}}{{ include "opsflow.fullname" . }}-temporal{{- end -}}
{{- end -}}

{{/* The Temporal connection, as the environment both processes read (src/config.ts). */}}
{{- define "opsflow.temporalEnv" -}}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required (host:port of the Temporal frontend)" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: TEMPORAL_UI_URL
  value: {{ .Values.temporal.uiUrl | quote }}
- name: OPSFLOW_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- with .Values.temporal.tls }}
{{- if or .enabled .existingSecret }}
- name: TEMPORAL_TLS
  value: "true"
{{- end }}
{{- if .existingSecret }}
- name: TEMPORAL_TLS_CA_PATH
  value: /etc/opsflow/temporal-tls/{{ .caKey }}
{{- if .mtls }}
- name: TEMPORAL_TLS_CERT_PATH
  value: /etc/opsflow/temporal-tls/{{ .certKey }}
- name: TEMPORAL_TLS_KEY_PATH
  value: /etc/opsflow/temporal-tls/{{ .keyKey }}
{{- end }}
{{- end }}
{{- if .serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ .serverName | quote }}
{{- end }}
{{- end }}
{{- if or .Values.temporal.apiKey.existingSecret .Values.temporal.apiKey.value }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "opsflow.apiKeySecret" . }}
      key: {{ .Values.temporal.apiKey.secretKey }}
{{- end }}
{{- if .Values.watchNamespace }}
- name: OPSFLOW_WATCH_NAMESPACE
  value: {{ .Values.watchNamespace | quote }}
{{- end }}
{{- end -}}

{{/* Pod and container security: Pod Security "restricted". */}}
{{- define "opsflow.podSecurity" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "opsflow.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "opsflow.volumeMounts" -}}
# tsx keeps its compile cache in the temp dir; the root filesystem is read-only.
- { name: tmp, mountPath: /tmp }
{{- if .Values.temporal.tls.existingSecret }}
- { name: temporal-tls, mountPath: /etc/opsflow/temporal-tls, readOnly: true }
{{- end }}
{{- end -}}
{{- define "opsflow.volumes" -}}
- name: tmp
  emptyDir: { sizeLimit: 256Mi }
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret: { secretName: {{ .Values.temporal.tls.existingSecret }} }
{{- end }}
{{- end -}}

{{/* A process's affinity: the values', else its replicas preferably on different nodes. (dict "root" $ "component" "watcher") */}}
{{- define "opsflow.affinity" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.affinity -}}
{{- toYaml $v.affinity -}}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "opsflow.selector" . | nindent 12 }}
{{- end -}}
{{- end -}}

{{/* Voluntary disruptions (node drains, cluster upgrades) keep one replica running; none with a single replica (it would block every drain). */}}
{{- define "opsflow.pdb" -}}
{{- if gt (int (index .root.Values .component).replicas) 1 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include (printf "opsflow.%s" .component) .root }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "opsflow.labels" .root | nindent 4 }}
    {{- include "opsflow.selector" . | nindent 4 }}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      {{- include "opsflow.selector" . | nindent 6 }}
{{- end }}
{{- end -}}
