// The CNI shim executable (installed by installCniShim under each plugin type's name).
import { runShim } from './cni-shim.js';

process.exitCode = await runShim().catch((err: Error) => {
  process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', code: 999, msg: `triad CNI shim: ${err.message}` }));
  return 1;
});
