/**
 * The collector comes back: an outage is one warning, then one `trace export recovered` line with
 * the number of spans it dropped (docs/tracing.md, "Collector down"). The collector is a loopback
 * OTLP/HTTP endpoint on a port chosen beforehand: refused while down, answering 200 once up.
 * One traced backend makes one span per request and exports exactly when two are queued (batch
 * size 2, and a schedule delay no test waits out), so every export carries two spans, and the test
 * waits for each failed export's line: the dropped count is known exactly, and counts spans, not
 * batches.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { startBuilt, type Running } from './support/process.ts';
import { unusedPort } from './support/ports.ts';

const failing = (l: Record<string, unknown>) => l['msg'] === 'trace export failing; dropping spans until the collector answers';
const still = (l: Record<string, unknown>) => l['msg'] === 'trace export still failing';
const recovered = (l: Record<string, unknown>) => l['msg'] === 'trace export recovered';

describe('tracing: exporter endpoint down, then back', { timeout: 120_000 }, () => {
  let backend: Running | undefined;
  let collector: Server | undefined;

  after(async () => {
    await backend?.stop();
    collector?.closeAllConnections();
    await new Promise((resolve) => (collector ? collector.close(resolve) : resolve(undefined)));
  });

  test('one warning for the outage, then one recovered line with the dropped count', async () => {
    const port = await unusedPort();
    const batch = 2;
    backend = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--log-level=debug'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(batch),
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
    const be = backend;
    const uppercase = async (s: string) => {
      const res = await fetch(`${be.url}/uppercase`, { method: 'POST', body: JSON.stringify({ s }) });
      assert.equal(await res.text(), `{"v":"${s.toUpperCase()}"}\n`);
    };
    /** exportBatch makes `batch` spans, one request at a time: the last one fills the batch. */
    const exportBatch = async (s: string) => {
      for (let i = 0; i < batch; i++) await uppercase(`${s} ${i}`);
    };

    // Down: every batch fails; wait for each one's line before making the next.
    const failedBatches = 3;
    await exportBatch('down 1');
    assert.ok(await be.lastLine(failing, undefined, 30_000), `the first failed export warns: ${be.stderr()}`);
    for (let b = 2; b <= failedBatches; b++) {
      await exportBatch(`down ${b}`);
      const line = await be.lastLine(still, (l) => l['dropped'] === b * batch, 30_000);
      assert.equal(line?.['dropped'], b * batch, `batch ${b} failed too, its spans counted: ${JSON.stringify(line)}`);
    }

    // Up: the same address now answers OTLP/HTTP (an empty protobuf response is a full success).
    const received: string[] = [];
    collector = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((resolve) => collector!.listen(port, '127.0.0.1', resolve));
    await exportBatch('up');
    const line = await be.lastLine(recovered, undefined, 30_000);
    assert.ok(line, `the first export after the outage logs the recovery: ${JSON.stringify(be.lines().filter((l) => String(l['msg']).startsWith('trace export')))}`);
    assert.equal(line['level'], 30);
    assert.equal(line['endpoint'], `http://127.0.0.1:${port}`);
    assert.equal(line['dropped'], failedBatches * batch, 'every span made while the collector was down');
    assert.ok(received.includes('POST /v1/traces'), `the collector got the export: ${received.join(', ')}`);

    // A later export is quiet; once it reached the collector, no more lines can come from the outage.
    const before = received.length;
    await exportBatch('after');
    const deadline = Date.now() + 30_000;
    while (received.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.ok(received.length > before, 'the next batch was exported');
    await be.stop();
    backend = undefined;
    assert.equal(be.lines().filter(failing).length, 1, 'one warning for the outage');
    assert.equal(be.lines().filter(recovered).length, 1, 'one recovered line');
  });
});
