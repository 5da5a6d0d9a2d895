import type { Server } from 'node:http';

/**
 * listenAndAnnounce starts a peer on 127.0.0.1:`port` (0: any free port), prints the
 * `{"msg":"HTTP","addr":…}` line the bench waits for, and closes the server on SIGTERM.
 */
export function listenAndAnnounce(server: Server, port: number): void {
  server.listen(port, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(JSON.stringify({ msg: 'HTTP', addr: typeof a === 'object' && a ? `127.0.0.1:${a.port}` : '' }) + '\n');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
