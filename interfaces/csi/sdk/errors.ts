// The CSI SDK answers with the gRPC error helpers (interfaces/grpc/errors.ts, the one place they
// are defined); re-exported here so a driver imports them with the rest of the SDK.
export {
  aborted,
  alreadyExists,
  commandFailed,
  failedPrecondition,
  internal,
  invalidArgument,
  notFound,
  outOfRange,
  resourceExhausted,
  StatusError,
  unimplemented,
} from '../../grpc/errors.js';
