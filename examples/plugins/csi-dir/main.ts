// The csi-dir driver as a program: serve Identity + Node on a unix socket until SIGINT/SIGTERM.
//
//   npx tsx examples/plugins/csi-dir/main.ts --socket /tmp/csi-dir.sock --root /tmp/csi-dir [--node-id N] [--name NAME]
import { parseArgs } from 'node:util';
import { DEFAULT_NAME, serveCsiDir } from './driver.js';

const { values } = parseArgs({
  options: {
    socket: { type: 'string' },
    root: { type: 'string', default: '/var/lib/csi-dir' },
    'node-id': { type: 'string' },
    name: { type: 'string', default: DEFAULT_NAME },
  },
});
if (!values.socket) {
  process.stderr.write('usage: main.ts --socket PATH [--root DIR] [--node-id ID] [--name NAME]\n');
  process.exit(2);
}

const server = await serveCsiDir(values.socket, { root: values.root!, nodeId: values['node-id'], name: values.name });
process.stderr.write(`csi-dir (${values.name}) serving on ${server.endpoint.display}, volumes under ${values.root}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
