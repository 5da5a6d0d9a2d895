import { randomFillSync } from 'node:crypto';

/** Ids per refill of the random pool: one 4 KiB read from the CSPRNG serves 256 requests. */
const idsPerRefill = 256;
const idBytes = 16;
const pool = Buffer.alloc(idBytes * idsPerRefill);
let offset = pool.length;

/**
 * newRequestId returns 16 random bytes as 32 hex digits, the form of nginx's `$request_id`.
 * Random rather than a counter, so ids reveal nothing about a process's traffic. Why not
 * randomUUID: it assembles its 36 characters from a dozen intermediate strings, ~580 bytes of
 * garbage per id in a heap profile under load; a hex slice of a pooled buffer is one string.
 */
export function newRequestId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + idBytes);
  offset += idBytes;
  return id;
}
