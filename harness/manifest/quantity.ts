// Kubernetes resource.Quantity: "100m", "0.5", "128Mi", "1G", "1e3", "1.5Gi"… parsed exactly (BigInt
// nano-units, rounded up past nano precision as the API server does), compared, and printed in the
// canonical form the API server stores ("0.5" → "500m", "1024Mi" → "1Gi", "1000" → "1k").

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in units of 10⁻⁹ (so 1 core = 1e9, "100m" = 1e8, "1Ki" = 1024e9). */
  nano: bigint;
  format: QuantityFormat;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

/** A quantity that does not parse; `message` names the path when one was given. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
  constructor(
    readonly value: unknown,
    readonly detail: string,
    readonly path?: string,
  ) {
    super(`${path ? `${path}: ` : ''}Invalid value: ${JSON.stringify(value)}: ${detail}`);
  }
}

const FORMAT_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const NANO = 1_000_000_000n;
const MAX_EXPONENT = 1000;

const pow10 = (n: number) => 10n ** BigInt(n);
/** numerator / denominator rounded away from zero (the API server's inf.RoundUp). */
const divUp = (num: bigint, den: bigint) => {
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (a + den - 1n) / den;
  return neg ? -q : q;
};

/** Parse a quantity (a JSON number is accepted too, as the API server does). Throws QuantityError. */
export function parseQuantityValue(input: string | number, path?: string): Quantity {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(input, QUANTITY_FORMAT_ERROR, path);
    text = String(input);
  } else if (typeof input === 'string') text = input;
  else throw new QuantityError(input, QUANTITY_FORMAT_ERROR, path);

  const m = FORMAT_RE.exec(text);
  if (!m) throw new QuantityError(input, QUANTITY_FORMAT_ERROR, path);
  const num = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(m[1]);
  if (!num || (num[2] === '' && !num[3])) throw new QuantityError(input, QUANTITY_NUMERIC_ERROR, path);
  const negative = num[1] === '-';
  const frac = num[3] ?? '';
  let digits = BigInt((num[2] || '0') + frac);
  if (negative) digits = -digits;

  const suffix = m[2];
  let nano: bigint;
  let format: QuantityFormat;
  if (suffix in BINARY) {
    format = 'BinarySI';
    nano = divUp(digits * (1n << BigInt(BINARY[suffix])) * NANO, pow10(frac.length));
  } else {
    let exp: number;
    if (suffix in DECIMAL) {
      format = 'DecimalSI';
      exp = DECIMAL[suffix];
    } else {
      const e = /^[eE]([+-]?\d+)$/.exec(suffix);
      if (!e) throw new QuantityError(input, QUANTITY_SUFFIX_ERROR, path);
      format = 'DecimalExponent';
      exp = Number(e[1]);
      if (Math.abs(exp) > MAX_EXPONENT) throw new QuantityError(input, QUANTITY_NUMERIC_ERROR, path);
    }
    const shift = exp + 9 - frac.length; // value × 10⁹ = digits × 10^shift
    nano = shift >= 0 ? digits * pow10(shift) : divUp(digits, pow10(-shift));
  }
  return { nano, format };
}

/** The quantity in base units (cores for cpu, bytes for memory and storage) as a float. */
export function parseQuantity(input: string | number, path?: string): number {
  const { nano } = parseQuantityValue(input, path);
  return Number(nano / NANO) + Number(nano % NANO) / 1e9;
}

/** Quantity.MilliValue(): thousandths of the unit, rounded up (millicores for cpu). */
export function milliValue(input: string | number, path?: string): number {
  return Number(divUp(parseQuantityValue(input, path).nano, 1_000_000n));
}

/** Quantity.Value(): whole units, rounded up (bytes for memory and storage). */
export function value(input: string | number, path?: string): number {
  return Number(divUp(parseQuantityValue(input, path).nano, NANO));
}

/** A container or claim resource as the harness uses it: millicores for `cpu`, bytes for the rest. */
export function parseResource(resource: string, input: string | number, path?: string): number {
  return resource === 'cpu' ? milliValue(input, path) : value(input, path);
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareQuantities(a: Quantity | string | number, b: Quantity | string | number): number {
  const x = typeof a === 'object' ? a.nano : parseQuantityValue(a).nano;
  const y = typeof b === 'object' ? b.nano : parseQuantityValue(b).nano;
  return x < y ? -1 : x > y ? 1 : 0;
}

const DECIMAL_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Quantity.String(): the canonical form the API server stores and prints. */
export function formatQuantity(q: Quantity | string | number): string {
  const { nano, format } = typeof q === 'object' ? q : parseQuantityValue(q);
  if (nano === 0n) return '0';
  let fmt = format;
  if (fmt === 'BinarySI') {
    // small or fractional binary amounts print as decimal rather than lose precision
    if ((nano > -1024n * NANO && nano < 1024n * NANO) || nano % NANO !== 0n) fmt = 'DecimalSI';
    else {
      let v = nano / NANO;
      let k = 0;
      while (k < BINARY_SUFFIX.length - 1 && v % 1024n === 0n) {
        v /= 1024n;
        k++;
      }
      return `${v}${BINARY_SUFFIX[k]}`;
    }
  }
  let mantissa = nano;
  let exp = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  const r = ((exp % 3) + 3) % 3;
  mantissa *= pow10(r);
  exp -= r;
  if (fmt === 'DecimalSI' && exp in DECIMAL_SUFFIX) return `${mantissa}${DECIMAL_SUFFIX[exp]}`;
  return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
}
