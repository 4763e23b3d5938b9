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
  get codeName(): string { return codeName(this.code); }

  static from(rpc: string, endpoint: string, err: Partial<ServiceError>): RpcError {
    return new RpcError(rpc, endpoint, err.code ?? Status.UNKNOWN, err.details ?? err.message ?? String(err));
  }
}

/** Thrown by a service implementation to answer with a specific gRPC status. */
export class StatusError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'StatusError';
  }
}

export const grpcError = (code: number, message: string) => new StatusError(code, message);
export const notFound = (m: string) => new StatusError(Status.NOT_FOUND, m);
export const invalidArgument = (m: string) => new StatusError(Status.INVALID_ARGUMENT, m);
export const alreadyExists = (m: string) => new StatusError(Status.ALREADY_EXISTS, m);
export const failedPrecondition = (m: string) => new StatusError(Status.FAILED_PRECONDITION, m);
export const unimplemented = (m: string) => new StatusError(Status.UNIMPLEMENTED, m);

/** True when err is a client-side RpcError with the given code. */
export function isCode(err: unknown, code: number): boolean {
  return err instanceof RpcError && err.code === code;
}
