import { haveGo } from '../controlplane/binaries.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { missingGokit } from './binaries.ts';
import { netnsUnsupported } from './netns.ts';

/**
 * Value for node:test's `skip` option in suites that run go-kit's examples: they need Go (or the
 * cached binaries) and network namespaces. Same policy and env var as the control-plane tests.
 */
export function gokitSkip(): string | false {
  const missing = missingGokit();
  const reason =
    missing.length > 0 && !haveGo()
      ? `go-kit interop tests need ${missing.join(', ')}: install Go (they are built from go-kit's module and cached)`
      : netnsUnsupported();
  return skipOrThrow('go-kit interop', reason);
}
