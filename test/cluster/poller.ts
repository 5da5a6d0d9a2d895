// A client polling one request in a loop, one fresh connection each (so a closed forward shows
// as a refused connection, not a stale socket), recording every outcome with its time.
import { request } from 'node:http';

/** One polled request: an HTTP answer, or the network error that replaced it. */
export interface Outcome {
  at: number;
  status?: number;
  body?: string;
  error?: string;
}

export interface Poller {
  /** Stops polling; resolves with every outcome. */
  stop(): Promise<Outcome[]>;
}

function once(host: string, port: number, path: string, body: string): Promise<Outcome> {
  const at = Date.now();
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'POST', agent: false, timeout: 5000, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ at, status: res.statusCode ?? 0, body: text }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ at, error: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ at, error: err.code ?? err.message }));
    req.end(body);
  });
}

/** Polls `POST path` every `everyMs` at `host:port()` (the port may change while polling). */
export function startPoller(host: string, port: () => number, path: string, body: string, everyMs = 50): Poller {
  const outcomes: Outcome[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      outcomes.push(await once(host, port(), path, body));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return outcomes;
    },
  };
}

/** Outcomes that were not `200` with the expected body, split into network errors and wrong answers. */
export function failures(outcomes: Outcome[], expected: string): { network: Outcome[]; wrong: Outcome[] } {
  return {
    network: outcomes.filter((o) => o.error !== undefined),
    wrong: outcomes.filter((o) => o.error === undefined && (o.status !== 200 || o.body !== expected)),
  };
}
