import { randomFillSync } from 'node:crypto';

/** Ids per refill of the random pool: one 4 KiB read from the CSPRNG serves 256 requests. */
const idsPerRefill = 256;
const idBytes = 16;
const idChars = idBytes * 2;
const pool = Buffer.alloc(idBytes * idsPerRefill);
let hex = '';
let offset = 0;

/**
 * newRequestId returns 16 random bytes as 32 hex digits, the form of nginx's `$request_id`.
 * Random rather than a counter, so ids reveal nothing about a process's traffic. Why not
 * randomUUID: it assembles its 36 characters from a dozen intermediate strings per id. Here a
 * refill turns the whole pool into one hex string, and each id is a slice of it: V8 makes that a
 * small view, not a copy or a native call.
 */
export function newRequestId(): string {
  if (offset === hex.length) {
    randomFillSync(pool);
    hex = pool.toString('hex');
    offset = 0;
  }
  const id = hex.slice(offset, offset + idChars);
  offset += idChars;
  return id;
}
