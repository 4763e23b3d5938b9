import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FaultInjector, parseFaultRules } from '../../interfaces/faults.js';
import { StatusError, Status } from '../../interfaces/grpc/errors.js';

const t = suite('faults');

t('parse validates fields and names them', () => {
  assert.throws(() => parseFaultRules({}), /faults: must be a list/);
  assert.throws(() => parseFaultRules([{ target: 'x', hang: true }], 'runtime.faults'), /runtime\.faults\[0\]\.rpc: required/);
  assert.throws(() => parseFaultRules([{ rpc: 'PullImage' }]), /faults\[0\]: needs an action/);
  assert.throws(() => parseFaultRules([{ rpc: 'PullImage', fail: { code: 'NOPE' } }]), /faults\[0\]\.fail\.code: unknown gRPC code "NOPE"/);
  assert.throws(
    () =>
      parseFaultRules([
        { rpc: 'A', hang: true },
        { rpc: 'B', delayMs: -1 },
      ]),
    /faults\[1\]\.delayMs/,
  );
  assert.throws(() => parseFaultRules([{ rpc: 'A', hang: true, bogus: 1 }]), /faults\[0\]\.bogus: unknown field/);
  assert.is(parseFaultRules(undefined).length, 0);
  assert.is(parseFaultRules([{ rpc: 'PullImage', target: 'busybox:*', fail: { code: 'NOT_FOUND' } }]).length, 1);
});

t('fail rule throws StatusError with the named code, only for matching targets', async () => {
  const f = new FaultInjector(parseFaultRules([{ rpc: 'PullImage', target: '*:missing', fail: { code: 'NOT_FOUND', message: 'no such tag' } }]));
  await f.before('PullImage', ['busybox:latest']);
  await f.before('ImageStatus', ['busybox:missing']);
  try {
    await f.before('PullImage', ['busybox:missing']);
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, StatusError);
    assert.is((e as StatusError).code, Status.NOT_FOUND);
    assert.is((e as StatusError).message, 'no such tag');
  }
});

t('times limits how often a rule applies; delay waits', async () => {
  const f = new FaultInjector(
    parseFaultRules([
      { rpc: 'ADD', fail: { code: 11 }, times: 1 },
      { rpc: 'X', delayMs: 50 },
    ]),
  );
  await f.before('ADD', []).then(
    () => assert.unreachable('first ADD must fail'),
    () => {},
  );
  await f.before('ADD', []);
  const t0 = Date.now();
  await f.before('X', []);
  assert.ok(Date.now() - t0 >= 45);
});

t('hang ends when the caller aborts', async () => {
  const f = new FaultInjector(parseFaultRules([{ rpc: 'NodePublishVolume', hang: true }]));
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 30);
  const t0 = Date.now();
  await f.before('NodePublishVolume', ['vol'], ac.signal).then(
    () => assert.unreachable(),
    (e) => assert.is((e as StatusError).code, Status.DEADLINE_EXCEEDED),
  );
  assert.ok(Date.now() - t0 < 1000);
});

t('take picks container exit rules separately from call faults', () => {
  const f = new FaultInjector(parseFaultRules([{ rpc: 'StartContainer', target: 'app', exitCode: 3, afterMs: 10 }]));
  assert.is(f.take('StartContainer', ['app'], (r) => r.exitCode !== undefined)?.exitCode, 3);
  assert.is(
    f.take('StartContainer', ['other'], (r) => r.exitCode !== undefined),
    undefined,
  );
});

t.run();
