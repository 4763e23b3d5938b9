// The triad-memory CNI plugin executable (install it into a bin dir with installCniBinary).
import { runPlugin } from '../../interfaces/cni/index.js';
import { createMemoryCni } from './plugin.js';

await runPlugin(createMemoryCni({ keepAlive: true }));
