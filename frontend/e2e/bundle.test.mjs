// The first page (the login screen and the shell every role lands in) must stay light:
// under 1 MB of JavaScript once compressed; ECharts and the API docs load only when used.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { frontendDir } from './harness.mjs';

test('the first page loads less than 1 MB of compressed JavaScript', () => {
  const dist = join(frontendDir, 'dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0, 'index.html loads scripts');
  let total = 0;
  for (const s of scripts) {
    const size = gzipSync(readFileSync(join(dist, s))).length;
    console.log(`first page: ${s} ${(size / 1024).toFixed(1)} kB gzip`);
    total += size;
  }
  console.log(`first page total: ${(total / 1024).toFixed(1)} kB gzip`);
  assert.ok(total < 1_000_000, `first page JavaScript is ${total} bytes gzip`);
  assert.ok(!scripts.some((s) => /echarts|ApiDocs/.test(s)), 'charts and API docs are not on the first page');
});
