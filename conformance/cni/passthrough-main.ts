// Executable entry of the passthrough plugin (installed into a temp bin dir by the CNI suite).
import { runPlugin } from '../../interfaces/cni/index.js';
import { passthroughPlugin } from './passthrough.js';

await runPlugin(passthroughPlugin);
