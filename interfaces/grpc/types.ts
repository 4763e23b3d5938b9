// Shapes of ts-proto's generic service definitions, which triad turns into grpc-js clients and
// servers itself (interfaces/grpc/definition.ts) so every message goes through fromPartial.

export interface MessageFns<T> {
  encode(message: T, writer?: unknown): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: any): T;
  toJSON(message: T): unknown;
  fromJSON(object: any): T;
}

export interface MethodDef {
  readonly name: string;
  readonly requestType: MessageFns<any>;
  readonly requestStream: boolean;
  readonly responseType: MessageFns<any>;
  readonly responseStream: boolean;
  readonly options: unknown;
}

export interface ServiceDef {
  readonly name: string;
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDef };
}

type Builtin = Date | Function | Uint8Array | string | number | boolean | bigint | undefined;
/** What a caller may pass: any subset of fields; bigint fields also accept numbers. */
export type DeepPartial<T> = T extends bigint
  ? string | number | bigint
  : T extends Builtin
    ? T
    : T extends Array<infer U>
      ? Array<DeepPartial<U>>
      : T extends ReadonlyArray<infer U>
        ? ReadonlyArray<DeepPartial<U>>
        : T extends {}
          ? { [K in keyof T]?: DeepPartial<T[K]> }
          : Partial<T>;

export type RequestOf<M> = M extends { requestType: MessageFns<infer R> } ? R : never;
export type ResponseOf<M> = M extends { responseType: MessageFns<infer R> } ? R : never;
