// CRI CheckpointContainer, where implemented (it needs CRIU): a running container is written to
// the archive at `location`; an unknown container id fails with NOT_FOUND.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { POD, RULES, RUN, expectNotFound, rpcCap, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Checkpoint');

export const checkpointCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.checkpoint.container',
    rpc: 'CheckpointContainer',
    name: "CheckpointContainer writes a running container's checkpoint archive to location",
    needs: [rpcCap('CheckpointContainer')],
    tags: ['Slow'],
    rules: [...POD, ...RUN, 'cri.checkpoint-container.writes-archive'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      const location = join(k.env.workDir, `${k.ctx.unique('checkpoint')}.tar`);
      k.ctx.cleanup(() => rmSync(location, { force: true }), `remove ${location}`);
      await k.optional(
        expectOk(k.runtime.checkpointContainer({ containerId: id, location, timeout: 60n }), { rule: 'cri.checkpoint-container.writes-archive' }),
        'CheckpointContainer',
      );
      expectTrue(existsSync(location), `no checkpoint archive at ${location}`, { rule: 'cri.checkpoint-container.writes-archive' });
    },
  }),
  c({
    id: 'cri.checkpoint.unknown-id',
    rpc: 'CheckpointContainer',
    name: 'CheckpointContainer of an unknown container id fails with NOT_FOUND',
    needs: [rpcCap('CheckpointContainer')],
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.checkpointContainer({ containerId: k.env.unknownId, location: join(k.env.workDir, `${k.ctx.unique('checkpoint')}.tar`) }));
    },
  }),
];
