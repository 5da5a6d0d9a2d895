// Run by the reaper when a process that started a test node dies without stopping it:
// `node cleanup.ts <dir> <kube-proxy binary> <sysctls as JSON> <lock dir>`.
import { rmSync } from 'node:fs';
import { cleanHost } from './host.ts';

const [dir = '', proxyBin = '', sysctls = '{}', lock = ''] = process.argv.slice(2);
if (!dir.includes('stringsvc-node-')) throw new Error(`refusing to clean ${dir}`);
cleanHost({ dir, proxyBin, sysctls: JSON.parse(sysctls) as Record<string, string> });
rmSync(dir, { recursive: true, force: true });
if (lock) rmSync(lock, { recursive: true, force: true });
