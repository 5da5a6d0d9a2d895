import { findBinaries, haveGo } from './binaries.ts';

/** Env var that turns a missing control plane from a skip into a failure; `.ci/run` sets it. */
export const requireEnv = 'STRINGSVC_REQUIRE_CONTROL_PLANE';

/** Why control-plane tests cannot run here (no cached/pointed-at binaries and no Go to build them), or undefined. */
export function skipReason(): string | undefined {
  const { missing } = findBinaries();
  if (missing.length === 0 || haveGo()) return undefined;
  return `control-plane tests need ${missing.join(', ')}: install Go (they are built from Go modules and cached) ` +
    'or point KUBEBUILDER_ASSETS / TEST_ASSET_* / HELM / KUBECTL at existing binaries';
}

/**
 * Value for node:test's `skip` option: false when the control plane can run, else the reason,
 * announced loudly on stderr. Throws instead when STRINGSVC_REQUIRE_CONTROL_PLANE=1, so CI never skips.
 */
export function controlPlaneSkip(): string | false {
  return skipOrThrow('control-plane', skipReason());
}

/**
 * skipOrThrow applies the same policy to any suite that needs Go-built peers (`what` names it in
 * the banner): false without a reason, else a loud skip, or a failure under STRINGSVC_REQUIRE_CONTROL_PLANE=1.
 */
export function skipOrThrow(what: string, reason: string | undefined): string | false {
  if (!reason) return false;
  if (process.env[requireEnv] === '1') throw new Error(`${requireEnv}=1 but ${reason}`);
  const banner = what.toUpperCase();
  process.stderr.write(`\n!!!!! SKIPPING ${banner} TESTS !!!!!\n!!!!! ${reason}\n\n`);
  return `SKIPPED: ${reason}`;
}
