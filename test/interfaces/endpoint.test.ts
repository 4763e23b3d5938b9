import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEndpoint } from '../../interfaces/endpoint.js';

const t = suite('endpoint');

t('unix:///abs path', () => {
  const e = parseEndpoint('unix:///run/containerd/containerd.sock');
  assert.equal(e, {
    kind: 'unix',
    path: '/run/containerd/containerd.sock',
    target: 'unix:/run/containerd/containerd.sock',
    display: 'unix:///run/containerd/containerd.sock',
  });
});

t('unix:/abs path and bare paths', () => {
  assert.is(parseEndpoint('unix:/run/x.sock').target, 'unix:/run/x.sock');
  assert.is(parseEndpoint('/run/x.sock').target, 'unix:/run/x.sock');
  assert.is(parseEndpoint('/var/lib/kubelet/plugins/csi-hostpath/csi').kind, 'unix');
  assert.is(parseEndpoint('./rel.sock').target, `unix:${process.cwd()}/rel.sock`);
});

t('host:port and dns:', () => {
  assert.equal(parseEndpoint('127.0.0.1:10010'), { kind: 'tcp', host: '127.0.0.1', port: 10010, target: '127.0.0.1:10010', display: '127.0.0.1:10010' });
  assert.is(parseEndpoint('localhost:50051').target, 'localhost:50051');
  assert.is(parseEndpoint('dns:///localhost:9000').target, 'localhost:9000');
  assert.is(parseEndpoint('[::1]:9000').target, '[::1]:9000');
});

t('bad endpoints name the input and the reason', () => {
  for (const [input, why] of [
    ['', /empty/],
    ['unix:', /no socket path/],
    ['http://x:1', /unsupported scheme http/],
    ['nohost', /host:port/],
    ['x:99999', /out of range/],
    ['tcp://1.2.3.4:5', /unsupported scheme/],
  ] as const) {
    try {
      parseEndpoint(input);
      assert.unreachable(`accepted ${input}`);
    } catch (e) {
      assert.instance(e, Error);
      assert.match((e as Error).message, why);
      assert.match((e as Error).message, JSON.stringify(input));
    }
  }
});

t.run();
