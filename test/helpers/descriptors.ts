// The contracts' descriptors as buf compiles them (JSON FileDescriptorSet), for tests that walk
// every message and service generically instead of listing them by hand.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { triadRoot } from '../../interfaces/util/root.js';

export interface FieldDesc {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName?: string;
  jsonName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
export interface MessageDesc {
  name: string;
  field?: FieldDesc[];
  nestedType?: MessageDesc[];
  enumType?: EnumDesc[];
  options?: { mapEntry?: boolean };
  oneofDecl?: { name: string }[];
}
export interface EnumDesc {
  name: string;
  value: { name: string; number: number }[];
}
export interface MethodDesc {
  name: string;
  inputType: string;
  outputType: string;
  clientStreaming?: boolean;
  serverStreaming?: boolean;
}
export interface FileDesc {
  name: string;
  package: string;
  messageType?: MessageDesc[];
  enumType?: EnumDesc[];
  service?: { name: string; method: MethodDesc[] }[];
}

let cached: FileDesc[] | undefined;

export function descriptors(): FileDesc[] {
  if (cached) return cached;
  const root = triadRoot();
  const out = execFileSync(join(root, 'node_modules/.bin/buf'), ['build', '-o', '-#format=json'], { cwd: root, maxBuffer: 64 << 20 });
  return (cached = (JSON.parse(out.toString()) as { file: FileDesc[] }).file);
}

/** Every message in a file, keyed by full name (".runtime.v1.Foo.Bar"), with its ts-proto export name (Foo_Bar). */
export function messagesOf(file: FileDesc): Map<string, { desc: MessageDesc; tsName: string }> {
  const out = new Map<string, { desc: MessageDesc; tsName: string }>();
  const walk = (msgs: MessageDesc[] | undefined, prefix: string, tsPrefix: string) => {
    for (const m of msgs ?? []) {
      out.set(`${prefix}.${m.name}`, { desc: m, tsName: tsPrefix + m.name });
      walk(m.nestedType, `${prefix}.${m.name}`, `${tsPrefix}${m.name}_`);
    }
  };
  walk(file.messageType, `.${file.package}`, '');
  return out;
}

export function enumsOf(file: FileDesc): Map<string, EnumDesc> {
  const out = new Map<string, EnumDesc>();
  for (const e of file.enumType ?? []) out.set(`.${file.package}.${e.name}`, e);
  const walk = (msgs: MessageDesc[] | undefined, prefix: string) => {
    for (const m of msgs ?? []) {
      for (const e of m.enumType ?? []) out.set(`${prefix}.${m.name}.${e.name}`, e);
      walk(m.nestedType, `${prefix}.${m.name}`);
    }
  };
  walk(file.messageType, `.${file.package}`);
  return out;
}

/** ts-proto's property name for a proto field name. */
export function tsFieldName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A contract's size as its authors count it: messages (nested ones included, map entries not:
 * those are protoc's spelling of map<,> fields), their fields, and the RPCs of every service.
 */
export function apiSize(file: FileDesc): { messages: number; fields: number; rpcs: number } {
  const msgs = [...messagesOf(file).values()].filter((m) => !m.desc.options?.mapEntry);
  return {
    messages: msgs.length,
    fields: msgs.reduce((n, m) => n + (m.desc.field?.length ?? 0), 0),
    rpcs: (file.service ?? []).reduce((n, s) => n + s.method.length, 0),
  };
}
