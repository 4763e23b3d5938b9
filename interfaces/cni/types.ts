// JSON objects of the CNI spec (1.1.0), keyed exactly as on the wire. Plugin configs carry
// free-form keys of their own, so they are open records: anything we do not know survives.

export type CniVerb = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';

export interface IpamConf {
  type?: string;
  [key: string]: unknown;
}

export interface DnsConf {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** One plugin entry of a list (or a whole single-plugin .conf). */
export interface PluginConf {
  type: string;
  name?: string;
  cniVersion?: string;
  capabilities?: Record<string, boolean>;
  ipMasq?: boolean;
  ipam?: IpamConf;
  dns?: DnsConf;
  args?: Record<string, unknown>;
  runtimeConfig?: Record<string, unknown>;
  prevResult?: Result;
  [key: string]: unknown;
}

/** A network configuration list as parsed: cniVersion is the negotiated one. */
export interface NetworkConfigList {
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  loadOnlyInlinedPlugins?: boolean;
  plugins: PluginConf[];
  [key: string]: unknown;
}

export interface Interface {
  name: string;
  mac?: string;
  mtu?: number; // 1.1.0
  sandbox?: string;
  socketPath?: string; // 1.1.0
  pciID?: string; // 1.1.0
}

export interface IpConfig {
  /** Only in 0.3.x / 0.4.0 results: "4" or "6". */
  version?: '4' | '6';
  address: string; // CIDR: ip/prefix
  gateway?: string;
  interface?: number; // index into interfaces
}

export interface Route {
  dst: string;
  gw?: string;
  mtu?: number; // the rest are 1.1.0
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IpConfig[];
  routes?: Route[];
  dns?: DnsConf;
}

/** What a failing plugin prints on stdout. */
export interface CniErrorObject {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

export interface VersionResult {
  cniVersion: string;
  supportedVersions: string[];
}

/** One entry of `cni.dev/valid-attachments` (GC). */
export interface GcAttachment {
  containerID: string;
  ifname: string;
}

export const VALID_ATTACHMENTS_KEY = 'cni.dev/valid-attachments';

/** Well-known error codes (0-99 are reserved by the spec, 100+ are plugin specific). */
export const CniErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironmentVariables: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  /** Not in the spec's table: what libcni's skel reports for an unexpected plugin failure. */
  Internal: 999,
} as const;
export type CniErrorCode = (typeof CniErrorCode)[keyof typeof CniErrorCode];

const CODE_NAMES: Record<number, string> = {
  1: 'INCOMPATIBLE_CNI_VERSION',
  2: 'UNSUPPORTED_FIELD',
  3: 'UNKNOWN_CONTAINER',
  4: 'INVALID_ENVIRONMENT_VARIABLES',
  5: 'IO_FAILURE',
  6: 'DECODING_FAILURE',
  7: 'INVALID_NETWORK_CONFIG',
  11: 'TRY_AGAIN_LATER',
  50: 'PLUGIN_NOT_AVAILABLE',
  51: 'LIMITED_CONNECTIVITY',
  999: 'INTERNAL',
};

/** TRY_AGAIN_LATER for 11; plugin-specific codes read PLUGIN_ERROR_<n>. */
export function cniCodeName(code: number): string {
  return CODE_NAMES[code] ?? (code >= 100 ? `PLUGIN_ERROR_${code}` : `CODE_${code}`);
}

export function isCniErrorObject(v: unknown): v is CniErrorObject {
  return typeof v === 'object' && v !== null && typeof (v as CniErrorObject).code === 'number' && typeof (v as CniErrorObject).msg === 'string';
}
