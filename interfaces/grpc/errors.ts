// gRPC errors that say which RPC failed, where, and with which status code — by name.
import { status as Status, type ServiceError } from '@grpc/grpc-js';

export { Status };

/** NOT_FOUND for 5, and so on. */
export function codeName(code: number): string {
  return (Status as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/** Thrown by a client call: keeps the gRPC code and names the RPC and endpoint. */
export class RpcError extends Error {
  constructor(
    readonly rpc: string,
    readonly endpoint: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`${rpc} on ${endpoint}: ${codeName(code)}: ${details}`);
    this.name = 'RpcError';
  }
  get codeName(): string {
    return codeName(this.code);
  }

  static from(rpc: string, endpoint: string, err: Partial<ServiceError>): RpcError {
    return new RpcError(rpc, endpoint, err.code ?? Status.UNKNOWN, err.details ?? err.message ?? String(err));
  }
}

/** Thrown by a service implementation to answer with a specific gRPC status. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

// The one vocabulary for answering with a status, for every service (CRI, CSI, the harness's
// own): a helper per code, so no implementation builds StatusError(Status.X, …) by hand.
export const grpcError = (code: number, message: string) => new StatusError(code, message);
export const cancelled = (m: string) => new StatusError(Status.CANCELLED, m);
export const unknownError = (m: string) => new StatusError(Status.UNKNOWN, m);
export const invalidArgument = (m: string) => new StatusError(Status.INVALID_ARGUMENT, m);
export const deadlineExceeded = (m: string) => new StatusError(Status.DEADLINE_EXCEEDED, m);
export const notFound = (m: string) => new StatusError(Status.NOT_FOUND, m);
export const alreadyExists = (m: string) => new StatusError(Status.ALREADY_EXISTS, m);
export const permissionDenied = (m: string) => new StatusError(Status.PERMISSION_DENIED, m);
export const resourceExhausted = (m: string) => new StatusError(Status.RESOURCE_EXHAUSTED, m);
export const failedPrecondition = (m: string) => new StatusError(Status.FAILED_PRECONDITION, m);
export const aborted = (m: string) => new StatusError(Status.ABORTED, m);
export const outOfRange = (m: string) => new StatusError(Status.OUT_OF_RANGE, m);
export const unimplemented = (m: string) => new StatusError(Status.UNIMPLEMENTED, m);
export const internal = (m: string) => new StatusError(Status.INTERNAL, m);
export const unavailable = (m: string) => new StatusError(Status.UNAVAILABLE, m);

/** INTERNAL "<what>: <stderr or message>" — execa errors carry the tool's stderr, which says why. */
export function commandFailed(what: string, err: unknown): StatusError {
  const e = err as { stderr?: string; message?: string };
  return internal(`${what}: ${(e?.stderr || e?.message || String(err)).trim()}`);
}

/** True when err is a client-side RpcError with the given code. */
export function isCode(err: unknown, code: number): boolean {
  return err instanceof RpcError && err.code === code;
}
