// CRI Mount.mount_options (KEP-5855, alpha in Kubernetes 1.37: a volumeMount's bindMountOptions),
// where the runtime advertises it (Status: RuntimeFeatures.mount_options): noexec on a mount
// refuses to execute its files while the same files execute through a mount without it, and
// ContainerStatus reports the options. A runtime that does not advertise the feature is not asked
// (kubelet 1.37 rejects such pods on its node instead).
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectEqual, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RULES, RUN, parseLogLine, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Mounts');

const FEATURE_RULE = 'cri.runtime-features.mount-options';
const NOEXEC_RULE = 'cri.mount.mount-options';
const REPORT_RULE = 'cri.container-status.mounts';

/** Not applicable unless Status advertises RuntimeFeatures.mount_options. */
async function requireMountOptions(k: CriKit): Promise<void> {
  const st = await expectOk(k.runtime.status({}), { rule: RULES.statusAnswers });
  if (st.features?.mountOptions !== true) {
    k.ctx.notApplicable(
      `the runtime does not advertise RuntimeFeatures.mount_options in Status (features: ${JSON.stringify(st.features ?? null)}); kubelet 1.37 rejects pods with bindMountOptions on its node instead of sending them`,
    );
  }
}

export const mountOptionCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.mounts.mount-options.noexec',
    rpc: 'ContainerStatus',
    name: 'A mount with mount_options noexec,nosuid,nodev refuses to execute its files, and ContainerStatus reports the options',
    rules: [RULES.statusAnswers, ...POD, ...RUN, ...EXIT, NOEXEC_RULE, REPORT_RULE, FEATURE_RULE],
    async run(k) {
      await requireMountOptions(k);
      const dir = k.hostDir();
      const script = join(dir, 'run.sh');
      writeFileSync(script, '#!/bin/sh\necho ran\n');
      chmodSync(script, 0o755);
      const pod = await k.sandbox();
      const options = ['noexec', 'nosuid', 'nodev'];
      const mounts = [
        { containerPath: '/mnt/opts', hostPath: dir, mountOptions: options },
        { containerPath: '/mnt/plain', hostPath: dir },
      ];
      const id = await k.run(pod, 'opts', ['sh', '-c', '/mnt/plain/run.sh; /mnt/opts/run.sh; echo "exec-status=$?"; sh /mnt/opts/run.sh'], { mounts } as never);
      const st = await k.waitExited(id);
      const stdout = k
        .logLines(st.logPath)
        .map(parseLogLine)
        .filter((l) => l?.stream === 'stdout')
        .map((l) => l!.text);
      expectEqual(stdout[0], 'ran', { rule: NOEXEC_RULE, what: 'output of /mnt/plain/run.sh (the same file through a mount without options)' });
      expectTrue(
        stdout.includes('exec-status=126'),
        `executing /mnt/opts/run.sh through the noexec mount did not fail with 126 (Permission denied); stdout: ${JSON.stringify(stdout)}`,
        { rule: NOEXEC_RULE, actual: stdout },
      );
      expectEqual(stdout.at(-1), 'ran', { rule: NOEXEC_RULE, what: 'output of `sh /mnt/opts/run.sh` (reading a script from a noexec mount is allowed)' });
      const m = st.mounts.find((x) => x.containerPath === '/mnt/opts');
      expectTrue(m, `ContainerStatus.mounts has no /mnt/opts: ${JSON.stringify(st.mounts.map((x) => x.containerPath))}`, {
        rule: REPORT_RULE,
        call: k.ctx.lastCall,
      });
      expectEqual([...m.mountOptions].sort(), [...options].sort(), { rule: REPORT_RULE, what: 'mounts[/mnt/opts].mount_options', call: k.ctx.lastCall });
    },
  }),
];
