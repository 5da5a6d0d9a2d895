import { once } from 'node:events';
import { connect } from 'node:net';

/**
 * rawExchange writes exact bytes to `host:port`, ends its side, and returns everything the
 * server sent until it closed: for requests fetch refuses to send (GET with a body, bad
 * framing) and for answers that must be read byte for byte.
 */
export async function rawExchange(host: string, port: number, bytes: string): Promise<string> {
  const sock = connect(port, host);
  await once(sock, 'connect');
  sock.end(bytes);
  let out = '';
  for await (const chunk of sock) out += (chunk as Buffer).toString();
  return out;
}
