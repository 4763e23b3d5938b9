// The records a driver keeps of its volumes and snapshots: a table by id with an index by the
// CO-chosen name (CreateVolume and CreateSnapshot answer a repeated name with the same record),
// and a versioned JSON state file for a driver whose records must outlive its process.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';

/**
 * Records by id, and by name for those that have one ('' names nothing: a group snapshot's
 * members). Reads as a Map of id → record (get, has, values, size).
 */
export class NamedRecords<R extends { id: string; name: string }> {
  private readonly byId = new Map<string, R>();
  private readonly byName = new Map<string, string>();

  get size(): number {
    return this.byId.size;
  }
  get(id: string): R | undefined {
    return this.byId.get(id);
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }
  values(): IterableIterator<R> {
    return this.byId.values();
  }

  /** The record created under `name`, if any. */
  named(name: string): R | undefined {
    const id = name ? this.byName.get(name) : undefined;
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Add `r`, found by `name` too (default its own; '' for a record no Create* call named). */
  add(r: R, name = r.name): void {
    this.byId.set(r.id, r);
    if (name) this.byName.set(name, r.id);
  }

  /** Drop `r`; its name is freed only while it still points at `r`. */
  remove(r: R): void {
    this.byId.delete(r.id);
    if (r.name && this.byName.get(r.name) === r.id) this.byName.delete(r.name);
  }

  clear(): void {
    this.byId.clear();
    this.byName.clear();
  }
}

/**
 * Read a driver's JSON state file written by writeStateFile: undefined when there is none. A file
 * that cannot be read or parsed, or has another version, throws: a driver must never start
 * empty over volumes it created before.
 */
export function readStateFile<T extends { version: number }>(file: string, version: T['version'], driver: string): T | undefined {
  if (!existsSync(file)) return undefined;
  let data: T;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new Error(`${driver}: cannot read ${file}: ${(err as Error).message}; refusing to start with an empty state over existing volumes`);
  }
  if (data?.version !== version) throw new Error(`${driver}: ${file} has state version ${data?.version}, this driver reads version ${version}`);
  return data;
}

/** Write the whole state, atomically (temp file, fsync, rename): a crash leaves the old file or the new. */
export function writeStateFile<T extends { version: number }>(file: string, data: T): void {
  writeFileAtomic(file, JSON.stringify(data, null, 1) + '\n');
}
