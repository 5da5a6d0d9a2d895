import { get } from 'node:http';

/**
 * liveHeapMb asks a process started with `--inspect=127.0.0.1:<port>` to collect garbage in
 * full, then reads its used heap (MiB): what is still referenced, which is what a leak grows.
 * RSS alone cannot tell, since V8 keeps the pages it has committed.
 */
export async function liveHeapMb(port: number): Promise<number> {
  const targets = await new Promise<Array<{ webSocketDebuggerUrl: string }>>((resolve, reject) => {
    // A fresh connection each time: the inspector's HTTP side does not keep connections alive.
    get({ host: '127.0.0.1', port, path: '/json/list', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let seq = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<{ result?: { value?: unknown } }>((resolve) => {
      const id = ++seq;
      const onMessage = (e: MessageEvent) => {
        const msg = JSON.parse(String(e.data)) as { id?: number; result: { result?: { value?: unknown } } };
        if (msg.id !== id) return;
        ws.removeEventListener('message', onMessage);
        resolve(msg.result);
      };
      ws.addEventListener('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const r = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    return Number(r.result?.value) / (1024 * 1024);
  } finally {
    ws.close();
  }
}
