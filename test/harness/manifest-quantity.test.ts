// Kubernetes resource.Quantity: parsing, base-unit values, millicores/bytes, canonical strings,
// comparison and path-naming errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compareQuantities,
  formatQuantity,
  milliValue,
  parseQuantity,
  parseQuantityValue,
  parseResource,
  QuantityError,
  quantityValue,
} from '../../harness/manifest/index.js';

const test = suite('manifest quantity');

test('decimal SI, binary SI and exponent forms in base units', () => {
  const cases: [string | number, number][] = [
    ['100m', 0.1],
    ['0.5', 0.5],
    ['1', 1],
    ['2', 2],
    ['.5', 0.5],
    ['5.', 5],
    ['+3', 3],
    ['-1', -1],
    ['128Mi', 128 * 2 ** 20],
    ['1Ki', 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Ei', 2 ** 60],
    ['1k', 1000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1.5e3', 1500],
    ['5e-3', 0.005],
    ['1e+2', 100],
    ['250u', 0.00025],
    ['10n', 1e-8],
    [0.5, 0.5],
    [2, 2],
    [1e3, 1000],
  ];
  for (const [q, want] of cases) assert.is(parseQuantity(q), want, `${q}`);
});

test('millicores for cpu and bytes for memory and storage, rounded up like MilliValue()/Value()', () => {
  assert.is(milliValue('100m'), 100);
  assert.is(milliValue('0.5'), 500);
  assert.is(milliValue('1'), 1000);
  assert.is(milliValue('1.5'), 1500);
  assert.is(milliValue('0.0001'), 1); // 100µ rounds up to 1m
  assert.is(quantityValue('128Mi'), 134217728);
  assert.is(quantityValue('1G'), 1_000_000_000);
  assert.is(quantityValue('1.5Gi'), 1610612736);
  assert.is(quantityValue('100m'), 1);
  assert.is(parseResource('cpu', '250m'), 250);
  assert.is(parseResource('memory', '64Mi'), 64 * 2 ** 20);
  assert.is(parseResource('storage', '1Gi'), 2 ** 30);
});

test('precision beyond nano rounds up, as the API server does', () => {
  assert.is(parseQuantityValue('0.1n').nano, 1n);
  assert.is(parseQuantityValue('1.0000000001').nano, 1_000_000_001n);
  assert.is(parseQuantityValue('1').nano, 1_000_000_000n);
  assert.is(parseQuantityValue('1Ki').format, 'BinarySI');
  assert.is(parseQuantityValue('1k').format, 'DecimalSI');
  assert.is(parseQuantityValue('1e3').format, 'DecimalExponent');
});

test('canonical form (Quantity.String())', () => {
  const cases: [string | number, string][] = [
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['2', '2'],
    ['1000', '1k'],
    ['1200', '1200'],
    ['1000M', '1G'],
    ['1.5G', '1500M'],
    ['128Mi', '128Mi'],
    ['1024Mi', '1Gi'],
    ['0.5Gi', '512Mi'],
    ['1.5Gi', '1536Mi'],
    ['1000Ki', '1000Ki'],
    ['1536', '1536'],
    ['1.5Ki', '1536'],
    ['512Ki', '512Ki'],
    ['100Ki', '100Ki'],
    ['1e3', '1e3'],
    ['12e2', '1200'],
    ['1.5e3', '1500'],
    ['0', '0'],
    ['0Mi', '0'],
    ['-1', '-1'],
    ['-500m', '-500m'],
    [0.25, '250m'],
    [64, '64'],
    ['0.0001', '100u'],
  ];
  for (const [q, want] of cases) assert.is(formatQuantity(q), want, `${q}`);
});

test('compare', () => {
  assert.is(compareQuantities('500m', '0.5'), 0);
  assert.is(compareQuantities('1Gi', '1G'), 1);
  assert.is(compareQuantities('999Mi', '1Gi'), -1);
  assert.is(compareQuantities('1e3', '1k'), 0);
});

test('errors: wrong format, numeric part, suffix; the path is named when given', () => {
  const fmt = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  const cases: [string, string][] = [
    ['abc', fmt],
    ['', fmt],
    ['1Gb', fmt],
    ['1 Gi', fmt],
    ['1KiB', fmt],
    ['Mi', fmt],
    ['1.2.3', 'unable to parse numeric part of quantity'],
    ['.', 'unable to parse numeric part of quantity'],
    ['1Kii', "unable to parse quantity's suffix"],
    ['1mm', "unable to parse quantity's suffix"],
    ['1ki', "unable to parse quantity's suffix"],
  ];
  for (const [q, detail] of cases) {
    try {
      parseQuantity(q, 'spec.containers[0].resources.limits[memory]');
      assert.unreachable(`${q} parsed`);
    } catch (e) {
      assert.instance(e, QuantityError, q);
      assert.is((e as QuantityError).detail, detail, q);
      assert.is((e as Error).message, `spec.containers[0].resources.limits[memory]: Invalid value: ${JSON.stringify(q)}: ${detail}`);
    }
  }
  assert.throws(
    () => parseQuantity('x'),
    (e: Error) => e.message === `Invalid value: "x": ${fmt}`,
  );
  assert.throws(
    () => parseQuantity(Number.NaN),
    (e: Error) => e instanceof QuantityError,
  );
});

test.run();
