// Run by the reaper when a process that started a test node dies without stopping it:
// `node cleanup.ts <dir> <kube-proxy binary> <what the host had before, as JSON> <lock dir>`.
import { rmSync } from 'node:fs';
import { cleanHost, type Saved } from './host.ts';

const [dir = '', proxyBin = '', saved = '{"sysctls":{},"tables":[]}', lock = ''] = process.argv.slice(2);
if (!dir.includes('stringsvc-node-')) throw new Error(`refusing to clean ${dir}`);
cleanHost({ dir, proxyBin, saved: JSON.parse(saved) as Saved });
rmSync(dir, { recursive: true, force: true });
if (lock) rmSync(lock, { recursive: true, force: true });
