// The triad-static CNI plugin executable: a runtime runs it with CNI_* variables and the network
// config on stdin; runPlugin reads both, calls the verb and prints the result or the spec error
// object. Install it into a bin dir under its type name with install.ts.
import { runPlugin } from 'triad/sdk/cni';
import { staticCni } from './plugin.js';

await runPlugin(staticCni);
