import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The lowest port the kernel hands out by itself (to a bind to port 0 or an outgoing connection),
 * from Linux's ip_local_port_range; 32768 where that cannot be read.
 */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** canBind tells whether `port` can be bound on `host` right now (and releases it). */
function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * unusedPort returns a port nothing listens on at `host`, for a child that must be told its port
 * (etcd, kube-apiserver, go-kit's stringsvc3) or as a "connection refused" address. It is drawn
 * below the kernel's ephemeral range (and above the well-known ports services default to), so
 * unlike a port freed after a bind to 0, no other process's bind to 0 or outgoing connection can
 * take it between this check and the child's own bind.
 */
export async function unusedPort(host = '127.0.0.1'): Promise<number> {
  const low = 20_000;
  const high = Math.max(low + 1000, ephemeralLow()) - 1;
  for (let i = 0; i < 100; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no unused port on ${host} in ${low}–${high} after 100 tries`);
}
