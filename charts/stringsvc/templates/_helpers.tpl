{{/*
Expand the name of the chart.
*/}}
{{- define "stringsvc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name, truncated so that "<fullname>-frontend" still fits
in 63 characters (the DNS label limit for Service names).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "stringsvc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 54 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "stringsvc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "stringsvc.labels" -}}
helm.sh/chart: {{ include "stringsvc.chart" . }}
{{ include "stringsvc.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "stringsvc.name" . }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "stringsvc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stringsvc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Names of the two tiers and of the optional counter service. */}}
{{- define "stringsvc.backend.fullname" -}}
{{- printf "%s-backend" (include "stringsvc.fullname" .) }}
{{- end }}
{{- define "stringsvc.frontend.fullname" -}}
{{- printf "%s-frontend" (include "stringsvc.fullname" .) }}
{{- end }}
{{- define "stringsvc.counter.fullname" -}}
{{- printf "%s-counter" (include "stringsvc.fullname" .) }}
{{- end }}

{{/* Labels and selector labels per tier. */}}
{{- define "stringsvc.backend.labels" -}}
{{ include "stringsvc.labels" . }}
app.kubernetes.io/component: backend
{{- end }}
{{- define "stringsvc.backend.selectorLabels" -}}
{{ include "stringsvc.selectorLabels" . }}
app.kubernetes.io/component: backend
{{- end }}
{{- define "stringsvc.frontend.labels" -}}
{{ include "stringsvc.labels" . }}
app.kubernetes.io/component: frontend
{{- end }}
{{- define "stringsvc.frontend.selectorLabels" -}}
{{ include "stringsvc.selectorLabels" . }}
app.kubernetes.io/component: frontend
{{- end }}
{{- define "stringsvc.counter.labels" -}}
{{ include "stringsvc.labels" . }}
app.kubernetes.io/component: counter
{{- end }}
{{- define "stringsvc.counter.selectorLabels" -}}
{{ include "stringsvc.selectorLabels" . }}
app.kubernetes.io/component: counter
{{- end }}

{{/*
Name of the frontend's ServiceAccount; it and the counter's (with the Kubernetes store) are the only ones with API access.
*/}}
{{- define "stringsvc.frontend.serviceAccountName" -}}
{{- include "stringsvc.frontend.fullname" . }}
{{- end }}

{{/*
Name of the counter's ServiceAccount (created only with counter.store=kubernetes).
*/}}
{{- define "stringsvc.counter.serviceAccountName" -}}
{{- include "stringsvc.counter.fullname" . }}
{{- end }}

{{/*
The ConfigMap holding the counter's total. The chart never templates it: the app creates it at 0,
and a chart-owned ConfigMap would be reset (or deleted) by helm upgrade and uninstall.
*/}}
{{- define "stringsvc.counter.configMapName" -}}
{{- include "stringsvc.counter.fullname" . }}
{{- end }}

{{/*
True when the counter keeps its total in a ConfigMap and so needs a ServiceAccount, Role and RoleBinding.
*/}}
{{- define "stringsvc.counter.usesApi" -}}
{{- if and .Values.counter.enabled (eq .Values.counter.store "kubernetes") }}true{{ end }}
{{- end }}

{{/*
The image reference; a tag may carry a digest (`tag@sha256:…`, as skaffold sets it).
*/}}
{{- define "stringsvc.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The `helm test` Pod's image: the chart's own unless `tests.image.repository` names another.
*/}}
{{- define "stringsvc.testImage" -}}
{{- if .Values.tests.image.repository -}}
{{- printf "%s:%s" .Values.tests.image.repository (.Values.tests.image.tag | default "latest") }}
{{- else -}}
{{- include "stringsvc.image" . }}
{{- end }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the preStop/shutdown delay, then the drain, then a margin.
*/}}
{{- define "stringsvc.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.delaySeconds .Values.shutdown.graceSeconds .Values.shutdown.marginSeconds }}
{{- end }}

{{/*
True when the cluster serves the Prometheus operator's monitoring.coreos.com/v1 kinds.
*/}}
{{- define "stringsvc.hasMonitoringApi" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{ end }}
{{- end }}

{{/*
"true" when terminating pods wait in a preStop sleep hook: asked for, and the cluster has the
built-in sleep action (Kubernetes 1.30+). Otherwise the app waits itself (--shutdown-delay).
*/}}
{{- define "stringsvc.preStopSleep" -}}
{{- if and .Values.shutdown.preStopSleep (gt (int .Values.shutdown.delaySeconds) 0) (semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version) }}true{{ end }}
{{- end }}

{{/*
Arguments shared by both tiers: the image's entrypoint is `node`, the first argument picks the program.
*/}}
{{- define "stringsvc.commonArgs" -}}
- dist/cmd/stringsvc.js
{{ include "stringsvc.serverArgs" . }}
{{- end }}

{{/*
The frontend's resilience flags (frontend.resilience), before extraArgs so that those win.
*/}}
{{- define "stringsvc.frontend.resilienceArgs" -}}
{{- with .Values.frontend.resilience -}}
- --qps={{ include "stringsvc.flagNumber" .qps }}
- --burst={{ include "stringsvc.flagNumber" .burst }}
- --max-attempts={{ include "stringsvc.flagNumber" .maxAttempts }}
- --max-time={{ .maxTime }}
- --attempt-timeout={{ .attemptTimeout }}
- --breaker-failures={{ include "stringsvc.flagNumber" .breakerFailures }}
- --breaker-reset={{ .breakerReset }}
- --retry-budget={{ include "stringsvc.flagNumber" .retryBudget }}
{{- end }}
{{- end }}

{{/*
A number as a flag reads it: helm holds a values file's numbers as float64, whose whole values would
print with an exponent (1e+06); those print as integers, anything else as given.
*/}}
{{- define "stringsvc.flagNumber" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- end }}

{{/*
Server flags every program in the image takes (stringsvc and countersvc): listen address, logging, shutdown.
*/}}
{{- define "stringsvc.serverArgs" -}}
- --listen=:{{ .Values.containerPort }}
- --log-level={{ .Values.logLevel }}
- --request-log={{ .Values.requestLog }}
- --grace={{ .Values.shutdown.graceSeconds }}s
- --shutdown-delay={{ if include "stringsvc.preStopSleep" . }}0{{ else }}{{ .Values.shutdown.delaySeconds }}{{ end }}s
{{- end }}

{{/*
The container parts every Deployment shares: ports, probes, lifecycle, security, /tmp.
*/}}
{{- define "stringsvc.containerCommon" -}}
imagePullPolicy: {{ .Values.image.pullPolicy }}
ports:
  - name: http
    containerPort: {{ .Values.containerPort }}
    protocol: TCP
startupProbe:
  httpGet:
    path: /healthz
    port: http
  {{- toYaml .Values.probes.startup | nindent 2 }}
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  {{- toYaml .Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  {{- toYaml .Values.probes.readiness | nindent 2 }}
{{- if include "stringsvc.preStopSleep" . }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ .Values.shutdown.delaySeconds }}
{{- end }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/*
The pod-level parts every Deployment shares.
*/}}
{{- define "stringsvc.podCommon" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{ end -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ include "stringsvc.terminationGracePeriodSeconds" . }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end }}

{{/*
How many replicas a tier runs, for NOTES: its replicaCount, or its autoscaling range.
*/}}
{{- define "stringsvc.replicasSummary" -}}
{{- if .autoscaling.enabled -}}
{{ .autoscaling.minReplicas }}-{{ .autoscaling.maxReplicas }} (autoscaled on CPU)
{{- else -}}
{{ .replicaCount }}
{{- end -}}
{{- end }}

{{/*
The replicas field of a tier's Deployment (args: dict "root" $ "tier" "backend"). Without autoscaling
it is replicaCount. With it the HPA owns the count and the field is left out, except on an upgrade of
a running Deployment, which gets its live count back: a field the last release set and this one leaves
out is deleted by helm, and the Deployment would drop to the API's default of 1 until the HPA raised
it again. Renders without a cluster (helm template, Argo CD) see no live object and leave it out.
*/}}
{{- define "stringsvc.replicasField" -}}
{{- $v := index .root.Values .tier -}}
{{- if not $v.autoscaling.enabled -}}
replicas: {{ $v.replicaCount }}
{{- else -}}
{{- with lookup "apps/v1" "Deployment" .root.Release.Namespace (include (printf "stringsvc.%s.fullname" .tier) .root) -}}
replicas: {{ .spec.replicas }}
{{- end -}}
{{- end -}}
{{- end }}
