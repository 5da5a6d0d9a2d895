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
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The annotations block of a top-level object's metadata, indented under it: commonAnnotations, under the
object's own (args: dict "root" $ "extra" map); nothing when both are empty.
*/}}
{{- define "stringsvc.annotations" -}}
{{- with merge (deepCopy (.extra | default dict)) (.root.Values.commonAnnotations | default dict) }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end -}}
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
The ServiceAccount a tier's pods run as (args: dict "root" $ "tier" "backend"): with serviceAccount.create
the chart's own, named serviceAccount.name or `<fullname>-<tier>`; without it serviceAccount.name, which
may be empty (the namespace's default account). The frontend's and the counter's (kubernetes store) are
bound to their Roles, so those need a name either way.
*/}}
{{- define "stringsvc.serviceAccountName" -}}
{{- $sa := (index .root.Values .tier).serviceAccount -}}
{{- if $sa.create -}}
{{- $sa.name | default (include (printf "stringsvc.%s.fullname" .tier) .root) -}}
{{- else -}}
{{- $sa.name -}}
{{- end -}}
{{- end }}

{{/*
Name of the backends' ServiceAccount: none by default (they never call the API and mount no token).
*/}}
{{- define "stringsvc.backend.serviceAccountName" -}}
{{- include "stringsvc.serviceAccountName" (dict "root" . "tier" "backend") }}
{{- end }}

{{/*
Name of the frontend's ServiceAccount, bound to its Role: the one API client of the string service.
*/}}
{{- define "stringsvc.frontend.serviceAccountName" -}}
{{- include "stringsvc.serviceAccountName" (dict "root" . "tier" "frontend") | required "frontend.serviceAccount.name is required with frontend.serviceAccount.create=false: the frontend's Role is bound to it" }}
{{- end }}

{{/*
Name of the counter's ServiceAccount: with counter.store=kubernetes the chart's own (or the named one),
bound to its Role; with the memory store it needs no API access and runs as serviceAccount.name only if
create is false and a name is given.
*/}}
{{- define "stringsvc.counter.serviceAccountName" -}}
{{- if include "stringsvc.counter.usesApi" . -}}
{{- include "stringsvc.serviceAccountName" (dict "root" . "tier" "counter") | required "counter.serviceAccount.name is required with counter.serviceAccount.create=false and counter.store=kubernetes: the counter's Role is bound to it" }}
{{- else if not .Values.counter.serviceAccount.create -}}
{{- .Values.counter.serviceAccount.name }}
{{- end -}}
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
A registry, a repository and a tag or digest as one image reference (args: dict "root" $ "image" map
"tag" default-tag). global.imageRegistry (an umbrella chart's) wins over the image's own registry.
A digest alone gives `repo@sha256:…`; with a tag, `repo:tag@sha256:…` (the tag is informative);
a tag may itself carry a digest (`tag@sha256:…`, as skaffold sets it).
*/}}
{{- define "stringsvc.imageRef" -}}
{{- $registry := (.root.Values.global).imageRegistry | default .image.registry -}}
{{- $repo := .image.repository -}}
{{- if $registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo }}{{ end -}}
{{- $tag := .image.tag | default .tag -}}
{{- if .image.digest -}}
{{- if .image.tag }}{{ printf "%s:%s@%s" $repo .image.tag .image.digest }}{{ else }}{{ printf "%s@%s" $repo .image.digest }}{{ end -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end }}

{{/*
The image of every Deployment.
*/}}
{{- define "stringsvc.image" -}}
{{- include "stringsvc.imageRef" (dict "root" . "image" .Values.image "tag" .Chart.AppVersion) }}
{{- end }}

{{/*
The `helm test` Pod's image: the chart's own unless `tests.image.repository` names another.
*/}}
{{- define "stringsvc.testImage" -}}
{{- if .Values.tests.image.repository -}}
{{- include "stringsvc.imageRef" (dict "root" . "image" .Values.tests.image "tag" "latest") }}
{{- else -}}
{{- include "stringsvc.image" . }}
{{- end }}
{{- end }}

{{/*
imagePullSecrets of every pod: global.imagePullSecrets (names or {name: …}, as umbrella charts give
them), then imagePullSecrets, each name once.
*/}}
{{- define "stringsvc.imagePullSecrets" -}}
{{- $names := list -}}
{{- range concat ((.Values.global).imagePullSecrets | default list) (.Values.imagePullSecrets | default list) -}}
{{- if kindIs "map" . }}{{ $names = append $names .name }}{{ else }}{{ $names = append $names . }}{{ end -}}
{{- end -}}
{{- with $names | uniq -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end -}}
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
The frontend's resilience flags (frontend.resilience, and frontend.clientLimit when its qps is set), before
extraArgs so that those win.
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
- --balancer={{ .Values.frontend.balancer }}
- --balancer-decay={{ .Values.frontend.balancerDecay }}
{{- with .Values.frontend.clientLimit }}
{{- if gt (int64 .qps) 0 }}
- --client-qps={{ int64 .qps }}
- --client-burst={{ int64 .burst }}
{{- with .keyHeader }}
- --client-key-header={{ . }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.frontend.topology }}
{{- if .enabled }}
- --topology-hints=true
{{- with .zone }}
- --zone={{ . }}
{{- end }}
{{- end }}
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
The container parts every Deployment shares: ports, probes, lifecycle, security, /tmp
(args: dict "root" $ "tier" "backend"). The tier's securityContext is merged over the chart-wide one.
*/}}
{{- define "stringsvc.containerCommon" -}}
{{- $v := index .root.Values .tier -}}
{{- with .root -}}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- with $v.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
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
  {{- mergeOverwrite (deepCopy .Values.securityContext) ($v.securityContext | default dict) | toYaml | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- with $v.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
The pod-level parts every Deployment shares (args: dict "root" $ "tier" "backend"): pull secrets, the
tier's ServiceAccount, security (the tier's podSecurityContext merged over the chart-wide one), volumes,
and scheduling: nodeSelector, affinity, tolerations, topology spread and priorityClassName. affinity and
topologySpreadConstraints pass through tpl; without constraints of its own a tier spreads softly over
topologySpread.topologyKeys, matching its selector labels.
*/}}
{{- define "stringsvc.podCommon" -}}
{{- $v := index .root.Values .tier -}}
{{- $tier := .tier -}}
{{- $root := .root -}}
{{- with .root -}}
securityContext:
  {{- mergeOverwrite (deepCopy .Values.podSecurityContext) ($v.podSecurityContext | default dict) | toYaml | nindent 2 }}
{{- with include (printf "stringsvc.%s.serviceAccountName" $tier) . }}
serviceAccountName: {{ . }}
{{- end }}
{{- with include "stringsvc.imagePullSecrets" . }}
{{ . }}
{{- end }}
terminationGracePeriodSeconds: {{ include "stringsvc.terminationGracePeriodSeconds" . }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- with $v.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- tpl (toYaml .) $root | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- tpl (toYaml $v.topologySpreadConstraints) $root | nindent 2 }}
{{- else if .Values.topologySpread.topologyKeys }}
topologySpreadConstraints:
  {{- range .Values.topologySpread.topologyKeys }}
  - topologyKey: {{ . }}
    maxSkew: {{ $root.Values.topologySpread.maxSkew }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include (printf "stringsvc.%s.selectorLabels" $tier) $root | nindent 8 }}
  {{- end }}
{{- end }}
{{- end }}
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

{{/*
The tracing environment of a tier's container (args: dict "root" $ "tier" "backend"), empty while
tracing.otlpEndpoint is unset: the standard OTEL_* variables, and the pod, namespace and node from the
downward API as k8s.* resource attributes ($(VAR) references are expanded by the kubelet).
*/}}
{{- define "stringsvc.tracingEnv" -}}
{{- $t := .root.Values.tracing -}}
{{- if $t.otlpEndpoint -}}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $t.otlpEndpoint | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ index $t.serviceNames .tier | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $t.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $t.samplerRatio | toString | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  {{- $attrs := list "k8s.pod.name=$(K8S_POD_NAME)" "k8s.namespace.name=$(K8S_NAMESPACE_NAME)" "k8s.node.name=$(K8S_NODE_NAME)" }}
  {{- range $k, $v := $t.resourceAttributes }}
  {{- $attrs = append $attrs (printf "%s=%s" $k (urlquery (toString $v) | replace "+" "%20")) }}
  {{- end }}
  value: {{ join "," $attrs | quote }}
{{- end -}}
{{- end }}
