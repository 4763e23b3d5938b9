// cri-minimal as a program: serve RuntimeService + ImageService on a unix socket until SIGINT/SIGTERM.
//
//   npx tsx examples/plugins/cri-minimal/main.ts --socket /tmp/cri-minimal.sock [--image REF]...
import { parseArgs } from 'node:util';
import { DEFAULT_IMAGES, serveCriMinimal } from './runtime.js';

const { values } = parseArgs({ options: { socket: { type: 'string' }, image: { type: 'string', multiple: true } } });
if (!values.socket) {
  process.stderr.write(`usage: main.ts --socket PATH [--image REF]...   (the images PullImage finds; default: ${DEFAULT_IMAGES.join(' ')})\n`);
  process.exit(2);
}

const server = await serveCriMinimal(values.socket, { images: values.image?.length ? values.image : DEFAULT_IMAGES });
process.stderr.write(`cri-minimal serving on ${server.endpoint.display}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
