// CRI CheckpointContainer, where implemented (it needs CRIU): a running container is written to
// the archive at `location`; an unknown container id fails with NOT_FOUND.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expectCode, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { RULES, rpcCap, type CriEnv } from './kit.js';

const c = caseIn('cri.Checkpoint');

export const checkpointCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.checkpoint.container', name: 'CheckpointContainer writes a running container\'s checkpoint archive to location', needs: [rpcCap('CheckpointContainer')], tags: ['Slow'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const location = join(k.env.workDir, `${k.ctx.unique('checkpoint')}.tar`);
      k.ctx.cleanup(() => rmSync(location, { force: true }), `remove ${location}`);
      await k.optional(expectOk(k.runtime.checkpointContainer({ containerId: id, location, timeout: 60n }), 'CRI CheckpointContainer MUST checkpoint a running container when implemented'), 'CheckpointContainer');
      expectTrue(existsSync(location), `no checkpoint archive at ${location}`, 'CRI CheckpointContainerRequest.location: where the runtime writes the checkpoint archive (kubelet\'s checkpoint API hands it out)');
    },
  }),
  c({
    id: 'cri.checkpoint.unknown-id', name: 'CheckpointContainer of an unknown container id fails with NOT_FOUND', needs: [rpcCap('CheckpointContainer')],
    async run(k) {
      await expectCode(k.runtime.checkpointContainer({ containerId: k.env.unknownId, location: join(k.env.workDir, `${k.ctx.unique('checkpoint')}.tar`) }), 'NOT_FOUND', RULES.notFound('CheckpointContainer', 'container'));
    },
  }),
];
