// Ctrl-C while triad owns sandboxes, mounts and daemons: the first SIGINT/SIGTERM starts the
// teardown; one more only says it is under way (an impatient second Ctrl-C must not cut the
// cleanup short and leak what it was removing); a third abandons it, saying so, for the case
// where a plugin hangs past every deadline.
export interface Interrupts {
  /** A signal has arrived. */
  readonly fired: boolean;
  /** Stop listening (the command finished on its own). */
  dispose(): void;
}

export function onInterrupt(first: (signal: NodeJS.Signals) => void, opts: { abandonAfter?: number; exitCode?: number } = {}): Interrupts {
  const abandonAfter = opts.abandonAfter ?? 3;
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      first(signal);
      return;
    }
    if (count < abandonAfter) {
      process.stderr.write(`\n${signal}: still tearing down (so nothing is left behind); ${abandonAfter - count} more to abandon the teardown\n`);
      return;
    }
    process.stderr.write(`\n${signal}: teardown abandoned; what it had not removed yet stays (a later run on the same state dir recovers it)\n`);
    process.exit(opts.exitCode ?? 130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get fired() {
      return count > 0;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
