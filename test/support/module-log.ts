/**
 * A preload (`node --import`) that records every module a process loads, so a test can tell what
 * a code path pulled in. Synchronous hooks see `import`, `import()` and `require` alike, and the
 * list is written when the process exits, to the file named by STRINGSVC_TEST_MODULE_LOG.
 * Use `moduleLogEnv` and `loadedModules` below rather than this file directly.
 */
import { registerHooks } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = process.env['STRINGSVC_TEST_MODULE_LOG'];
if (out) {
  const loaded = new Set<string>();
  registerHooks({
    load(url, context, nextLoad) {
      loaded.add(url);
      return nextLoad(url, context);
    },
  });
  process.on('exit', () => writeFileSync(out, [...loaded].join('\n') + '\n'));
}

/** moduleLogEnv is the environment that makes a started process record its modules into `file`. */
export function moduleLogEnv(file: string): NodeJS.ProcessEnv {
  const preload = `--import=${new URL(import.meta.url).pathname}`;
  return { NODE_OPTIONS: [process.env['NODE_OPTIONS'], preload].filter(Boolean).join(' '), STRINGSVC_TEST_MODULE_LOG: file };
}

/** loadedModules reads what a process recorded (it must have exited): file paths, or URLs for builtins. */
export function loadedModules(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u));
}
