// The CSI error codes a driver answers with beyond the generic ones in interfaces/grpc/errors.ts,
// plus INTERNAL for a failed host command that keeps the command's own explanation (stderr).
import { Status, StatusError } from '../../grpc/errors.js';

export const outOfRange = (m: string) => new StatusError(Status.OUT_OF_RANGE, m);
export const resourceExhausted = (m: string) => new StatusError(Status.RESOURCE_EXHAUSTED, m);
export const aborted = (m: string) => new StatusError(Status.ABORTED, m);
export const internal = (m: string) => new StatusError(Status.INTERNAL, m);

/** INTERNAL "<what>: <stderr or message>" — execa errors carry the tool's stderr, which says why. */
export function commandFailed(what: string, err: unknown): StatusError {
  const e = err as { stderr?: string; message?: string };
  return internal(`${what}: ${(e?.stderr || e?.message || String(err)).trim()}`);
}
