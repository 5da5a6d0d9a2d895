// Value sets the chart tests render, lint and install.

/** Every option switched away from its default. */
export const nonDefault = {
  fullnameOverride: 'svc',
  image: { registry: 'registry.example', repository: 'stringsvc', tag: 'v1', digest: 'sha256:' + 'a'.repeat(64), pullPolicy: 'Always' },
  imagePullSecrets: [{ name: 'regcred' }],
  global: { imagePullSecrets: ['mirror'] },
  commonLabels: { team: 'strings' },
  commonAnnotations: { owner: 'platform' },
  topologySpread: { topologyKeys: ['kubernetes.io/hostname'], maxSkew: 2 },
  logLevel: 'debug',
  requestLog: false,
  shutdown: { delaySeconds: 7, graceSeconds: 30, marginSeconds: 3, preStopSleep: true },
  backend: {
    replicaCount: 5,
    extraArgs: ['--body-limit=64kb'],
    podDisruptionBudget: { enabled: true, maxUnavailable: '20%', unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9, targetCPUUtilizationPercentage: 120 },
    service: { type: 'ClusterIP', port: 8080, annotations: { a: 'b' } },
    serviceAccount: { create: true },
    envFrom: [{ configMapRef: { name: 'backend-env', optional: true } }],
    extraVolumes: [{ name: 'scratch', emptyDir: {} }],
    extraVolumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
    securityContext: { runAsUser: 2000 },
    podSecurityContext: { runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000 },
  },
  frontend: {
    replicaCount: 3,
    discovery: 'endpoints',
    podDisruptionBudget: { enabled: false },
    service: { type: 'LoadBalancer', port: 80, nodePort: 30080, externalTrafficPolicy: 'Local', annotations: { 'example.com/lb': 'internal' } },
    ingress: { enabled: true, className: 'nginx', hosts: [{ host: 'strings.example', paths: [{ path: '/', pathType: 'Prefix' }] }], tls: [{ secretName: 'strings-tls', hosts: ['strings.example'] }] },
    resilience: { qps: 2500.5, burst: 1000000, maxAttempts: 2, maxTime: '1.5s', attemptTimeout: '400ms', breakerFailures: 10, breakerReset: '30s', retryBudget: 0 },
    clientLimit: { qps: 1000000, burst: 200, keyHeader: 'X-Api-Key' },
  },
  counter: { enabled: true, replicaCount: 3, rate: 2, burst: 5, extraArgs: ['--metrics-prefix=counter_'], podDisruptionBudget: { enabled: true, maxUnavailable: 2 } },
  networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
  metrics: {
    serviceMonitor: {
      enabled: true, labels: { release: 'kube-prometheus-stack' }, interval: '15s', jobLabel: 'app.kubernetes.io/component', honorLabels: true,
      relabelings: [{ targetLabel: 'cluster', replacement: 'east' }], metricRelabelings: [{ sourceLabels: ['__name__'], regex: 'nodejs_.*', action: 'drop' }],
    },
    prometheusRule: { enabled: true, runbookBaseUrl: 'https://example.org/docs/runbooks.md', errorRate: { threshold: '0.1' } },
    dashboard: { enabled: true },
  },
};
/** All monitoring options on, but otherwise the defaults (EndpointSlices discovery). */
export const monitoringOn = {
  // With the NetworkPolicy, the ServiceMonitor needs its Prometheus let in (the chart fails otherwise).
  networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
  metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, dashboard: { enabled: true } },
};
