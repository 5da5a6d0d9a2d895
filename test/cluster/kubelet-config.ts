// The kubelet's configuration for the test node: this VM's cgroup v1, our containerd, cluster DNS
// on the node address, and no image garbage collection (images are imported, never pulled).
import { join } from 'node:path';
import { plan } from './host.ts';

/** KubeletConfiguration as JSON, with the pod logs and state under `dir`. */
export function kubeletConfig(dir: string, containerdSocket: string, healthzPort: number): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: plan.nodeIp,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    // Only the apiserver on this machine reaches the kubelet's address (a /32 on lo).
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    // This VM's hierarchy is cgroup v1, and no systemd manages it.
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    containerRuntimeEndpoint: `unix://${containerdSocket}`,
    clusterDNS: [plan.nodeIp],
    clusterDomain: 'cluster.local',
    // Pods get only cluster DNS: the machine's resolver is never handed to them.
    resolvConf: '',
    failSwapOn: false,
    podLogsDir: join(dir, 'pod-logs'),
    // Images are imported, never pulled: garbage-collecting them would lose them for good.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    serializeImagePulls: false,
    syncFrequency: '10s',
    fileCheckFrequency: '10s',
  });
}
