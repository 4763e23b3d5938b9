// Every CLI command module, in the order `triad --help` lists them.
import type { Command } from 'commander';
import * as conformance from './conformance.js';
import * as describe from './describe.js';
import * as exec from './exec.js';
import * as del from './delete.js';
import * as diff from './diff.js';
import * as get from './get.js';
import * as image from './image.js';
import * as kubelet from './kubelet.js';
import * as logs from './logs.js';
import * as newProject from './new.js';
import * as portForward from './port-forward.js';
import * as proxy from './proxy.js';
import * as reference from './reference.js';
import * as report from './report.js';
import * as run from './run.js';
import * as serve from './serve.js';
import * as sonobuoy from './sonobuoy.js';
import * as timeline from './timeline.js';

export type Register = (program: Command) => void;

export const commands: Register[] = [run.register, kubelet.register, get.register, describe.register, logs.register, exec.register, portForward.register, del.register, timeline.register, serve.register, proxy.register, diff.register, conformance.register, report.register, sonobuoy.register, image.register, newProject.register, reference.register];
