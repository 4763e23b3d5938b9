// The spec's rules for the identifiers a runtime passes, checked before any plugin runs so a
// bad ID fails loudly here instead of as some plugin's half-done ADD.
import { CniError } from './errors.js';
import { CniErrorCode } from './types.js';
import { CNI_NAME_RE } from './conf.js';

const invalid = (code: number, msg: string) => new CniError({ code, kind: 'invalid', msg });

export function validateContainerID(id: string): void {
  if (!id) throw invalid(CniErrorCode.InvalidEnvironmentVariables, 'container ID is empty');
  if (!CNI_NAME_RE.test(id)) {
    throw invalid(
      CniErrorCode.InvalidEnvironmentVariables,
      `container ID ${JSON.stringify(id)} must start with a letter or digit and contain only letters, digits, '_', '.' and '-'`,
    );
  }
}

/** Linux interface-name rules: 1-15 bytes, not . or .., no '/', ':' or whitespace. */
export function validateInterfaceName(name: string): void {
  if (!name) throw invalid(CniErrorCode.InvalidEnvironmentVariables, 'interface name is empty');
  if (Buffer.byteLength(name) > 15)
    throw invalid(CniErrorCode.InvalidEnvironmentVariables, `interface name ${JSON.stringify(name)} is longer than 15 characters`);
  if (name === '.' || name === '..') throw invalid(CniErrorCode.InvalidEnvironmentVariables, `interface name ${JSON.stringify(name)} is not allowed`);
  if (/[/:\s]/.test(name))
    throw invalid(CniErrorCode.InvalidEnvironmentVariables, `interface name ${JSON.stringify(name)} must not contain '/', ':' or whitespace`);
}

export function validateNetworkName(name: string): void {
  if (!name) throw invalid(CniErrorCode.InvalidNetworkConfig, 'network name is empty');
  if (!CNI_NAME_RE.test(name)) throw invalid(CniErrorCode.InvalidNetworkConfig, `network name ${JSON.stringify(name)} has invalid characters`);
}
