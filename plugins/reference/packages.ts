// The Debian packages the reference stack runs on, and installing them (root only, apt-get
// update once per process, nothing when every binary is already there). .ci/setup-host does
// the same in bash before `npm ci`.
import { existsSync } from 'node:fs';
import { DEFAULT_BIN_DIRS, findCniBinDirs, REQUIRED_PLUGINS } from '../bridge/index.js';
import { run, which } from './proc.js';

export const PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'docker-registry', 'skopeo', 'umoci', 'busybox-static', 'iproute2', 'iptables'];

/** What each package must provide, as a check. */
export const REQUIREMENTS: { pkg: string; what: string; ok: () => boolean }[] = [
  { pkg: 'containerd', what: 'containerd', ok: () => !!which('containerd') },
  { pkg: 'containerd', what: 'containerd-shim-runc-v2', ok: () => !!which('containerd-shim-runc-v2') },
  { pkg: 'runc', what: 'runc', ok: () => !!which('runc') },
  {
    pkg: 'containernetworking-plugins',
    what: `CNI plugins ${REQUIRED_PLUGINS.join(', ')} (${DEFAULT_BIN_DIRS.join(' or ')})`,
    ok: () => findCniBinDirs().length > 0,
  },
  { pkg: 'docker-registry', what: 'docker-registry', ok: () => !!which('docker-registry') },
  { pkg: 'skopeo', what: 'skopeo', ok: () => !!which('skopeo') },
  { pkg: 'umoci', what: 'umoci', ok: () => !!which('umoci') },
  { pkg: 'busybox-static', what: '/bin/busybox (static)', ok: () => existsSync('/bin/busybox') },
  { pkg: 'iproute2', what: 'ip', ok: () => !!which('ip') },
  { pkg: 'iptables', what: 'iptables', ok: () => !!which('iptables') },
];

export function missingPackages(): { pkg: string; what: string }[] {
  return REQUIREMENTS.filter((r) => !r.ok()).map(({ pkg, what }) => ({ pkg, what }));
}

export const isRoot = () => process.getuid?.() === 0;

let updated = false;

/** Install what is missing (root only). Throws with the list when it cannot. */
export async function ensurePackages(opts: { install?: boolean; log?: (m: string) => void } = {}): Promise<{ installed: string[] }> {
  const missing = missingPackages();
  if (!missing.length) return { installed: [] };
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const what = missing.map((m) => `${m.what} (${m.pkg})`).join(', ');
  if (opts.install === false) throw new Error(`missing: ${what}`);
  if (!isRoot()) throw new Error(`missing: ${what}; run as root (or: sudo bash .ci/setup-host)`);
  const apt = which('apt-get');
  if (!apt) throw new Error(`missing: ${what}; and no apt-get to install them`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    opts.log?.('apt-get update');
    await run(apt, ['update', '-qq'], { env, timeout: 300_000 });
    updated = true;
  }
  opts.log?.(`apt-get install ${PACKAGES.join(' ')}`);
  await run(apt, ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES], { env, timeout: 600_000 });
  const still = missingPackages();
  if (still.length) throw new Error(`still missing after apt-get install: ${still.map((m) => m.what).join(', ')}`);
  return { installed: pkgs };
}

/** Directory with the reference CNI plugins (first of CNI_PATH, /usr/lib/cni, /opt/cni/bin). */
export function cniSourceDir(): string {
  const dirs = findCniBinDirs();
  if (!dirs.length) throw new Error(`no directory has the CNI plugins ${REQUIRED_PLUGINS.join(', ')} (apt-get install containernetworking-plugins)`);
  return dirs[0];
}
