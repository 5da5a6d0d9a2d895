/**
 * Runs inside a test's network namespace (started through nsenter), where the host's node:net
 * cannot reach. `wait <port>` returns once 127.0.0.1:<port> accepts connections;
 * `relay <socket> <port>` forwards a unix socket (visible from the host) to 127.0.0.1:<port>
 * and exits when its stdin closes, so it never outlives the test.
 */
import { connect, createServer } from 'node:net';

const [mode, a, b] = process.argv.slice(2);

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(5000, () => (s.destroy(), resolve(false))); // the deadline below must be reached
  });
}

if (mode === 'wait') {
  const deadline = Date.now() + 15_000;
  while (!(await tryConnect(Number(a)))) {
    if (Date.now() > deadline) {
      process.stderr.write(`127.0.0.1:${a} not listening after 15s\n`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
} else if (mode === 'relay') {
  const server = createServer((c) => {
    const up = connect(Number(b), '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  server.listen(a, () => process.stdout.write('ready\n'));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else {
  process.stderr.write('usage: in-netns.ts wait <port> | relay <socket> <port>\n');
  process.exit(2);
}
