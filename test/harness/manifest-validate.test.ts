// Validation rules as the API server applies them, each error with the exact path and wording kubectl prints.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManifestError, validateManifest } from '../../harness/manifest/index.js';

const test = suite('manifest validate');

type Any = any;

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const ENV_MSG =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
const PORT_RANGE = 'must be between 1 and 65535, inclusive';

function pod(): Any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{ name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    },
  };
}
function claim(): Any {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}
const edit = (m: Any, f: (m: Any) => void): Any => {
  f(m);
  return m;
};
const c0 = (f: (c: Any, m: Any) => void) => edit(pod(), (m) => f(m.spec.containers[0], m));

function errors(m: unknown): string[] {
  try {
    validateManifest(m);
    return [];
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    return e.errors.map((x) => x.message);
  }
}
function has(m: unknown, ...want: string[]): void {
  const got = errors(m);
  for (const w of want) assert.ok(got.includes(w), `expected error:\n  ${w}\ngot:\n  ${got.join('\n  ') || '(none)'}`);
}
function only(m: unknown, ...want: string[]): void {
  assert.equal(errors(m), want);
}
const ok = (m: unknown) => only(m);

test('valid pod and claim pass', () => {
  ok(pod());
  ok(claim());
  assert.equal(validateManifest(pod()), { warnings: [] });
});

test('does not modify its argument', () => {
  const p = pod();
  const before = JSON.stringify(p);
  validateManifest(p);
  assert.is(JSON.stringify(p), before);
});

test('all errors of an object in one ManifestError, kubectl layout', () => {
  const p = c0((c, m) => {
    c.name = 'Web_1';
    delete c.image;
    m.spec.restartPolicy = 'Sometimes';
  });
  try {
    validateManifest(p, 'pod.yaml');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ManifestError);
    const me = e as ManifestError;
    assert.is(me.source, 'pod.yaml');
    assert.equal(
      me.errors.map((x) => x.path),
      ['spec.containers[0].name', 'spec.containers[0].image', 'spec.restartPolicy'],
    );
    assert.is(
      me.message,
      [
        'pod.yaml: The Pod "web" is invalid:',
        `* spec.containers[0].name: Invalid value: "Web_1": ${LABEL_MSG}`,
        '* spec.containers[0].image: Required value',
        '* spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ].join('\n'),
    );
  }
  try {
    validateManifest(
      c0((c) => {
        delete c.image;
      }),
    );
  } catch (e) {
    assert.is((e as Error).message, 'The Pod "web" is invalid: spec.containers[0].image: Required value');
  }
});

test('metadata.name: DNS-1123 subdomain of at most 253, required', () => {
  only(
    edit(pod(), (m) => {
      m.metadata.name = 'Web';
    }),
    `metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`,
  );
  ok(
    edit(pod(), (m) => {
      m.metadata.name = 'web.example-1';
    }),
  );
  const long = `${'a'.repeat(250)}.com`;
  only(
    edit(pod(), (m) => {
      m.metadata.name = long;
    }),
    `metadata.name: Invalid value: "${long}": must be no more than 253 characters`,
  );
  only(
    edit(pod(), (m) => {
      delete m.metadata.name;
    }),
    'metadata.name: Required value: name or generateName is required',
  );
});

test('metadata.namespace: DNS-1123 label of at most 63', () => {
  only(
    edit(pod(), (m) => {
      m.metadata.namespace = 'Team_A';
    }),
    `metadata.namespace: Invalid value: "Team_A": ${LABEL_MSG}`,
  );
  only(
    edit(pod(), (m) => {
      m.metadata.namespace = 'team.a';
    }),
    'metadata.namespace: Invalid value: "team.a": must not contain dots',
  );
  const long = 'n'.repeat(64);
  only(
    edit(pod(), (m) => {
      m.metadata.namespace = long;
    }),
    `metadata.namespace: Invalid value: "${long}": must be no more than 63 characters`,
  );
});

test('labels: qualified-name keys (prefix/name) and label values of at most 63', () => {
  ok(
    edit(pod(), (m) => {
      m.metadata.labels = { 'app.kubernetes.io/name': 'MyApp', tier: '', 'x_y.z': 'a-b_c.d' };
    }),
  );
  only(
    edit(pod(), (m) => {
      m.metadata.labels = { 'bad key': 'x' };
    }),
    `metadata.labels: Invalid value: "bad key": ${QUALIFIED_MSG}`,
  );
  has(
    edit(pod(), (m) => {
      m.metadata.labels = { 'Example.com/x': 'y' };
    }),
    `metadata.labels: Invalid value: "Example.com/x": prefix part ${SUBDOMAIN_MSG}`,
  );
  only(
    edit(pod(), (m) => {
      m.metadata.labels = { '/x': 'y' };
    }),
    'metadata.labels: Invalid value: "/x": prefix part must be non-empty',
  );
  has(
    edit(pod(), (m) => {
      m.metadata.labels = { 'a/b/c': 'y' };
    }),
    "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  );
  const longKey = 'k'.repeat(64);
  only(
    edit(pod(), (m) => {
      m.metadata.labels = { [longKey]: 'y' };
    }),
    `metadata.labels: Invalid value: "${longKey}": name part must be no more than 63 characters`,
  );
  only(
    edit(pod(), (m) => {
      m.metadata.labels = { app: 'has space' };
    }),
    `metadata.labels: Invalid value: "has space": ${LABEL_VALUE_MSG}`,
  );
  const longValue = 'v'.repeat(64);
  only(
    edit(pod(), (m) => {
      m.metadata.labels = { app: longValue };
    }),
    `metadata.labels: Invalid value: "${longValue}": must be no more than 63 characters`,
  );
});

test('annotations: qualified-name keys, any values (total size at most 256 KiB)', () => {
  ok(
    edit(pod(), (m) => {
      m.metadata.annotations = { 'example.com/Note': 'anything at all: {"json": true}\n' + 'x'.repeat(1000) };
    }),
  );
  only(
    edit(pod(), (m) => {
      m.metadata.annotations = { 'no spaces': 'x' };
    }),
    `metadata.annotations: Invalid value: "no spaces": ${QUALIFIED_MSG}`,
  );
  only(
    edit(pod(), (m) => {
      m.metadata.annotations = { big: 'x'.repeat(256 * 1024) };
    }),
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  );
});

test('containers: at least one; names DNS-1123 labels, unique across containers and initContainers', () => {
  only(
    edit(pod(), (m) => {
      m.spec.containers = [];
      delete m.spec.volumes;
    }),
    'spec.containers: Required value',
  );
  only(
    edit(pod(), (m) => {
      delete m.spec.containers;
      delete m.spec.volumes;
    }),
    'spec.containers: Required value',
  );
  const two = edit(pod(), (m) => {
    m.spec.containers.push({ name: 'Web_1', image: 'busybox' });
  });
  only(two, `spec.containers[1].name: Invalid value: "Web_1": ${LABEL_MSG}`);
  only(
    c0((c) => {
      delete c.name;
    }),
    'spec.containers[0].name: Required value',
  );
  only(
    edit(pod(), (m) => {
      m.spec.containers.push({ name: 'app', image: 'busybox' });
    }),
    'spec.containers[1].name: Duplicate value: "app"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.initContainers = [
        { name: 'app', image: 'busybox' },
        { name: 'setup', image: 'busybox' },
        { name: 'setup', image: 'busybox' },
      ];
    }),
    'spec.initContainers[0].name: Duplicate value: "app"',
    'spec.initContainers[2].name: Duplicate value: "setup"',
  );
  const long = 'c'.repeat(64);
  only(
    c0((c) => {
      c.name = long;
    }),
    `spec.containers[0].name: Invalid value: "${long}": must be no more than 63 characters`,
  );
});

test('image required (and without surrounding whitespace); imagePullPolicy enum', () => {
  only(
    c0((c) => {
      c.image = '';
    }),
    'spec.containers[0].image: Required value',
  );
  only(
    edit(pod(), (m) => {
      m.spec.initContainers = [{ name: 'init' }];
    }),
    'spec.initContainers[0].image: Required value',
  );
  only(
    c0((c) => {
      c.image = ' busybox';
    }),
    'spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
  );
  only(
    c0((c) => {
      c.imagePullPolicy = 'Sometimes';
    }),
    'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
  );
});

test('ports: containerPort 1-65535, hostPort 0-65535, protocol TCP|UDP|SCTP', () => {
  only(
    c0((c) => {
      c.ports = [{ containerPort: 70000 }];
    }),
    `spec.containers[0].ports[0].containerPort: Invalid value: 70000: ${PORT_RANGE}`,
  );
  only(
    c0((c) => {
      c.ports = [{ containerPort: -1 }];
    }),
    `spec.containers[0].ports[0].containerPort: Invalid value: -1: ${PORT_RANGE}`,
  );
  only(
    c0((c) => {
      c.ports = [{ containerPort: 0 }];
    }),
    'spec.containers[0].ports[0].containerPort: Required value',
  );
  only(
    c0((c) => {
      c.ports = [{ name: 'x' }];
    }),
    'spec.containers[0].ports[0].containerPort: Required value',
  );
  ok(
    c0((c) => {
      c.ports = [
        { containerPort: 80, hostPort: 0 },
        { containerPort: 81, hostPort: 65535 },
      ];
    }),
  );
  only(
    c0((c) => {
      c.ports = [{ containerPort: 80, hostPort: 65536 }];
    }),
    `spec.containers[0].ports[0].hostPort: Invalid value: 65536: ${PORT_RANGE}`,
  );
  only(
    c0((c) => {
      c.ports = [{ containerPort: 80, hostPort: -5 }];
    }),
    `spec.containers[0].ports[0].hostPort: Invalid value: -5: ${PORT_RANGE}`,
  );
  only(
    c0((c) => {
      c.ports = [{ containerPort: 80, protocol: 'ICMP' }];
    }),
    'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
  );
  ok(
    c0((c) => {
      c.ports = [
        { containerPort: 53, protocol: 'UDP' },
        { containerPort: 53, protocol: 'TCP' },
        { containerPort: 9, protocol: 'SCTP' },
      ];
    }),
  );
});

test('port names: IANA_SVC_NAME of at most 15, unique within the container', () => {
  only(
    c0((c) => {
      c.ports = [{ name: 'Http', containerPort: 80 }];
    }),
    'spec.containers[0].ports[0].name: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  );
  only(
    c0((c) => {
      c.ports = [{ name: 'metrics-endpoint', containerPort: 80 }];
    }),
    'spec.containers[0].ports[0].name: Invalid value: "metrics-endpoint": must be no more than 15 characters',
  );
  only(
    c0((c) => {
      c.ports = [{ name: '8080', containerPort: 80 }];
    }),
    'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)',
  );
  has(
    c0((c) => {
      c.ports = [
        { name: 'a--b', containerPort: 80 },
        { name: '-ab', containerPort: 81 },
      ];
    }),
    'spec.containers[0].ports[0].name: Invalid value: "a--b": must not contain consecutive hyphens',
    'spec.containers[0].ports[1].name: Invalid value: "-ab": must not begin or end with a hyphen',
  );
  only(
    c0((c) => {
      c.ports = [
        { name: 'web', containerPort: 80 },
        { name: 'web', containerPort: 81 },
      ];
    }),
    'spec.containers[0].ports[1].name: Duplicate value: "web"',
  );
  // the same name in two containers is fine
  ok(
    edit(pod(), (m) => {
      m.spec.containers.push({ name: 'b', image: 'busybox', ports: [{ name: 'http', containerPort: 9090 }] });
    }),
  );
});

test('host ports: unique per IP and protocol across containers; on the host network equal to containerPort', () => {
  only(
    edit(pod(), (m) => {
      m.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      m.spec.containers.push({
        name: 'b',
        image: 'busybox',
        ports: [
          { containerPort: 81, hostPort: 8080 },
          { containerPort: 82, hostPort: 8080, protocol: 'UDP' },
        ],
      });
    }),
    'spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.hostNetwork = true;
      m.spec.containers[0].ports = [{ containerPort: 8080, hostPort: 9090 }];
    }),
    'spec.containers[0].ports[0].hostPort: Invalid value: 9090: must match `containerPort` when `hostNetwork` is true',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.hostNetwork = true;
      m.spec.containers[0].ports = [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9090 }];
    }),
  );
});

test('restartPolicy: Always, OnFailure or Never', () => {
  only(
    edit(pod(), (m) => {
      m.spec.restartPolicy = 'always';
    }),
    'spec.restartPolicy: Unsupported value: "always": supported values: "Always", "OnFailure", "Never"',
  );
  for (const r of ['Always', 'OnFailure', 'Never'])
    ok(
      edit(pod(), (m) => {
        m.spec.restartPolicy = r;
      }),
    );
});

test('container restartPolicy: only Always, only on init containers (sidecars)', () => {
  only(
    edit(pod(), (m) => {
      m.spec.initContainers = [{ name: 'i', image: 'busybox', restartPolicy: 'OnFailure' }];
    }),
    'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.initContainers = [{ name: 'side', image: 'busybox', restartPolicy: 'Always' }];
    }),
  );
  only(
    c0((c) => {
      c.restartPolicy = 'Always';
    }),
    'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
  );
});

test('probes and lifecycle are forbidden on regular init containers, allowed on sidecars', () => {
  const probe = { exec: { command: ['true'] } };
  const init = { name: 'init', image: 'busybox', livenessProbe: probe, readinessProbe: probe, startupProbe: probe, lifecycle: { preStop: probe } };
  only(
    edit(pod(), (m) => {
      m.spec.initContainers = [init];
    }),
    'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
    'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    'spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.initContainers = [{ ...init, restartPolicy: 'Always' }];
    }),
  );
  // a sidecar's probes are validated like any container's
  only(
    edit(pod(), (m) => {
      m.spec.initContainers = [{ name: 's', image: 'busybox', restartPolicy: 'Always', livenessProbe: { periodSeconds: 5 } }];
    }),
    'spec.initContainers[0].livenessProbe: Required value: must specify a handler type',
  );
});

test('volumes: unique DNS-1123 label names, exactly one supported source', () => {
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'data', emptyDir: {} });
    }),
    'spec.volumes[1].name: Duplicate value: "data"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'My_Vol', emptyDir: {} });
    }),
    `spec.volumes[1].name: Invalid value: "My_Vol": ${LABEL_MSG}`,
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ emptyDir: {} });
    }),
    'spec.volumes[1].name: Required value',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'cfg', configMap: { name: 'x' } });
    }),
    'spec.volumes[1].configMap: Unsupported value: "configMap": supported values: "emptyDir", "hostPath", "persistentVolumeClaim", "csi"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 's', secret: { secretName: 'x' } });
    }),
    'spec.volumes[1].secret: Unsupported value: "secret": supported values: "emptyDir", "hostPath", "persistentVolumeClaim", "csi"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'two', emptyDir: {}, hostPath: { path: '/tmp' } });
    }),
    'spec.volumes[1].hostPath: Forbidden: may not specify more than 1 volume type',
  );
  // no source at all is an emptyDir, as the API server defaults it
  ok(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'scratch' });
    }),
  );
});

test('volume sources: hostPath, persistentVolumeClaim, csi, emptyDir fields', () => {
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'h', hostPath: { path: '' } });
    }),
    'spec.volumes[1].hostPath.path: Required value',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'h', hostPath: { path: '/var/../etc' } });
    }),
    'spec.volumes[1].hostPath.path: Invalid value: "/var/../etc": must not contain \'..\'',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'h', hostPath: { path: '/x', type: 'Dir' } });
    }),
    'spec.volumes[1].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'p', persistentVolumeClaim: { claimName: '' } });
    }),
    'spec.volumes[1].persistentVolumeClaim.claimName: Required value',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'c', csi: { driver: '' } });
    }),
    'spec.volumes[1].csi.driver: Required value',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'c', csi: { driver: 'memory.csi.triad.dev', volumeAttributes: { size: '1Mi' } } });
    }),
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'e', emptyDir: { medium: 'HugePages' } });
    }),
    'spec.volumes[1].emptyDir.medium: Unsupported value: "HugePages": supported values: "", "Memory"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'e', emptyDir: { sizeLimit: 'big' } });
    }),
    'spec.volumes[1].emptyDir.sizeLimit: Invalid value: "big": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.volumes.push({ name: 'e', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } });
    }),
  );
});

test('volumeMounts: an existing volume, absolute unique mountPath, relative subPath without ..', () => {
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'nope', mountPath: '/x' }];
    }),
    'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
  );
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'data', mountPath: 'data' }];
    }),
    'spec.containers[0].volumeMounts[0].mountPath: Invalid value: "data": must be an absolute path',
  );
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'data' }];
    }),
    'spec.containers[0].volumeMounts[0].mountPath: Required value',
  );
  only(
    c0((c) => {
      c.volumeMounts = [
        { name: 'data', mountPath: '/d' },
        { name: 'data', mountPath: '/d' },
      ];
    }),
    'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
  );
  // upstream names subPath errors at `volumeMounts.subPath` (no index); kubectl prints exactly that
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'data', mountPath: '/d', subPath: '/abs' }];
    }),
    'spec.containers[0].volumeMounts.subPath: Invalid value: "/abs": must be a relative path',
  );
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'data', mountPath: '/d', subPath: 'a/../../b' }];
    }),
    'spec.containers[0].volumeMounts.subPath: Invalid value: "a/../../b": must not contain \'..\'',
  );
  ok(
    c0((c) => {
      c.volumeMounts = [
        { name: 'data', mountPath: '/d', subPath: 'a/b..c' },
        { name: 'data', mountPath: '/e', readOnly: true },
      ];
    }),
  );
});

test('volumeMounts.bindMountOptions (Kubernetes 1.37): noexec, nodev, nosuid, each once', () => {
  ok(
    c0((c) => {
      c.volumeMounts = [{ name: 'data', mountPath: '/d', bindMountOptions: ['noexec', 'nodev', 'nosuid'] }];
    }),
  );
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'data', mountPath: '/d', bindMountOptions: ['noatime'] }];
    }),
    'spec.containers[0].volumeMounts[0].bindMountOptions[0]: Unsupported value: "noatime": supported values: "noexec", "nodev", "nosuid"',
  );
  only(
    c0((c) => {
      c.volumeMounts = [{ name: 'data', mountPath: '/d', bindMountOptions: ['noexec', 'noexec'] }];
    }),
    'spec.containers[0].volumeMounts[0].bindMountOptions[1]: Duplicate value: "noexec"',
  );
});

test('probes: exactly one handler; gRPC with a port number 1-65535 and an optional service', () => {
  only(
    c0((c) => {
      c.livenessProbe = { periodSeconds: 5 };
    }),
    'spec.containers[0].livenessProbe: Required value: must specify a handler type',
  );
  only(
    c0((c) => {
      c.readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 8080 } };
    }),
    'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
  );
  ok(
    c0((c) => {
      c.livenessProbe = { grpc: { port: 9000 } };
      c.readinessProbe = { grpc: { port: 1, service: 'my.Service' } };
      c.startupProbe = { grpc: { port: 65535, service: '' } };
    }),
  );
  only(
    c0((c) => {
      c.livenessProbe = { grpc: {} };
    }),
    'spec.containers[0].livenessProbe.grpc.port: Required value',
  );
  only(
    c0((c) => {
      c.readinessProbe = { grpc: { port: 0 } };
    }),
    'spec.containers[0].readinessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive',
  );
  only(
    c0((c) => {
      c.startupProbe = { grpc: { port: 70000 } };
    }),
    'spec.containers[0].startupProbe.grpc.port: Invalid value: 70000: must be between 1 and 65535, inclusive',
  );
  only(
    c0((c) => {
      c.livenessProbe = { grpc: { port: 9000 }, exec: { command: ['true'] } };
    }),
    'spec.containers[0].livenessProbe.grpc: Forbidden: may not specify more than 1 handler type',
  );
  for (const bad of [{ port: 'grpc' }, { port: 9000, service: 5 }, { port: 9000, host: 'x' }]) {
    const e = errors(
      c0((c) => {
        c.livenessProbe = { grpc: bad };
      }),
    );
    assert.ok(e.length === 1 && e[0].includes('spec.containers[0].livenessProbe.grpc.'), `${JSON.stringify(bad)}: ${e.join('; ')}`);
  }
  only(
    c0((c) => {
      c.startupProbe = { exec: { command: [] } };
    }),
    'spec.containers[0].startupProbe.exec.command: Required value',
  );
  ok(
    c0((c) => {
      c.startupProbe = { exec: { command: ['cat', '/tmp/ready'] } };
    }),
  );
});

test('probe numbers: non-negative, thresholds at least 1, liveness/startup successThreshold 1', () => {
  const h = { httpGet: { port: 8080 } };
  only(
    c0((c) => {
      c.livenessProbe = { ...h, initialDelaySeconds: -1, periodSeconds: -2, timeoutSeconds: -3, failureThreshold: -4 };
    }),
    'spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0',
    'spec.containers[0].livenessProbe.timeoutSeconds: Invalid value: -3: must be greater than or equal to 0',
    'spec.containers[0].livenessProbe.periodSeconds: Invalid value: -2: must be greater than or equal to 0',
    'spec.containers[0].livenessProbe.failureThreshold: Invalid value: -4: must be greater than or equal to 0',
  );
  only(
    c0((c) => {
      c.readinessProbe = { ...h, successThreshold: -1 };
    }),
    'spec.containers[0].readinessProbe.successThreshold: Invalid value: -1: must be greater than or equal to 0',
  );
  only(
    c0((c) => {
      c.livenessProbe = { ...h, successThreshold: 2 };
    }),
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  );
  only(
    c0((c) => {
      c.startupProbe = { ...h, successThreshold: 3 };
    }),
    'spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1',
  );
  ok(
    c0((c) => {
      c.readinessProbe = { ...h, successThreshold: 3 };
    }),
  );
  // zero is "unset" and defaulted (failureThreshold 3, successThreshold 1), as in the API server
  ok(
    c0((c) => {
      c.livenessProbe = { ...h, successThreshold: 0, failureThreshold: 0, periodSeconds: 0 };
    }),
  );
  only(
    c0((c) => {
      c.readinessProbe = { ...h, terminationGracePeriodSeconds: 5 };
    }),
    'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes',
  );
  only(
    c0((c) => {
      c.livenessProbe = { ...h, terminationGracePeriodSeconds: 0 };
    }),
    'spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0',
  );
});

test("probe ports: a number 1-65535 or the name of one of the container's ports", () => {
  ok(
    c0((c) => {
      c.livenessProbe = { httpGet: { port: 'http', path: '/healthz' } };
      c.readinessProbe = { tcpSocket: { port: 8080 } };
    }),
  );
  only(
    c0((c) => {
      c.livenessProbe = { httpGet: { port: 'metrics' } };
    }),
    'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "metrics": must be a port number or the name of one of the container\'s ports (container "app" has no port named "metrics")',
  );
  only(
    c0((c) => {
      c.readinessProbe = { tcpSocket: { port: 'db' } };
    }),
    'spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: "db": must be a port number or the name of one of the container\'s ports (container "app" has no port named "db")',
  );
  only(
    c0((c) => {
      c.livenessProbe = { httpGet: { port: 0 } };
    }),
    `spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: ${PORT_RANGE}`,
  );
  only(
    c0((c) => {
      c.livenessProbe = { tcpSocket: { port: 70000 } };
    }),
    `spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 70000: ${PORT_RANGE}`,
  );
  only(
    c0((c) => {
      c.livenessProbe = { httpGet: { port: 'Bad_Name' } };
    }),
    'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  );
  only(
    c0((c) => {
      c.livenessProbe = { httpGet: { port: 8080, scheme: 'FTP' } };
    }),
    'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"',
  );
});

test('lifecycle handlers: one handler, sleep within the grace period', () => {
  ok(
    c0((c) => {
      c.lifecycle = { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 5 } } };
    }),
  );
  only(
    c0((c) => {
      c.lifecycle = { preStop: {} };
    }),
    'spec.containers[0].lifecycle.preStop: Required value: must specify a handler type',
  );
  only(
    c0((c, m) => {
      m.spec.terminationGracePeriodSeconds = 10;
      c.lifecycle = { preStop: { sleep: { seconds: 20 } } };
    }),
    'spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 20: must be non-negative and less than terminationGracePeriodSeconds (10)',
  );
});

test('env: variable names as Kubernetes allows them', () => {
  ok(
    c0((c) => {
      c.env = [{ name: 'MY_VAR', value: 'x' }, { name: 'my.env-name' }, { name: '_x1' }, { name: '.config' }];
    }),
  );
  only(
    c0((c) => {
      c.env = [{ name: '1ABC', value: 'x' }];
    }),
    `spec.containers[0].env[0].name: Invalid value: "1ABC": ${ENV_MSG}`,
  );
  only(
    c0((c) => {
      c.env = [{ name: 'A=B' }];
    }),
    `spec.containers[0].env[0].name: Invalid value: "A=B": ${ENV_MSG}`,
  );
  only(
    c0((c) => {
      c.env = [{ name: '..' }];
    }),
    'spec.containers[0].env[0].name: Invalid value: "..": must not be \'..\'',
  );
  only(
    c0((c) => {
      c.env = [{ name: '..x' }];
    }),
    'spec.containers[0].env[0].name: Invalid value: "..x": must not start with \'..\'',
  );
  only(
    c0((c) => {
      c.env = [{ value: 'x' }];
    }),
    'spec.containers[0].env[0].name: Required value',
  );
});

test('resources: quantities parse, requests at most limits, known resource names', () => {
  ok(
    c0((c) => {
      c.resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } };
    }),
  );
  only(
    c0((c) => {
      c.resources = { limits: { memory: '1Gb' } };
    }),
    'spec.containers[0].resources.limits[memory]: Invalid value: "1Gb": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    'spec.containers[0].resources.requests[memory]: Invalid value: "1Gb": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
  );
  only(
    c0((c) => {
      c.resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    }),
    'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  );
  only(
    c0((c) => {
      c.resources = { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } };
    }),
    'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi',
  );
  only(
    c0((c) => {
      c.resources = { requests: { cpu: '-1' } };
    }),
    'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
  );
  only(
    c0((c) => {
      c.resources = { requests: { gpu: '1' } };
    }),
    'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
  );
  only(
    c0((c) => {
      c.resources = { limits: { 'nvidia.com/gpu': '1' } };
    }),
    'spec.containers[0].resources.limits[nvidia.com/gpu]: Forbidden: not supported by triad: extended resources are not advertised by this node',
    'spec.containers[0].resources.requests[nvidia.com/gpu]: Forbidden: not supported by triad: extended resources are not advertised by this node',
  );
  only(
    c0((c) => {
      c.resources = { requests: { 'hugepages-2Mi': '2Mi' } };
    }),
    'spec.containers[0].resources.requests[hugepages-2Mi]: Forbidden: not supported by triad: huge pages are not allocated',
  );
  assert.equal(
    validateManifest(
      c0((c) => {
        c.resources = { requests: { 'ephemeral-storage': '1Gi' } };
      }),
    ).warnings,
    ['spec.containers[0].resources.requests[ephemeral-storage]: ignored: ephemeral storage is not limited or evicted on'],
  );
});

test('dnsPolicy and dnsConfig', () => {
  only(
    edit(pod(), (m) => {
      m.spec.dnsPolicy = 'Google';
    }),
    'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
  );
  only(
    edit(pod(), (m) => {
      m.spec.dnsPolicy = 'None';
    }),
    'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None',
  );
  only(
    edit(pod(), (m) => {
      m.spec.dnsPolicy = 'None';
      m.spec.dnsConfig = { searches: ['example.com'] };
    }),
    'spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.dnsPolicy = 'None';
      m.spec.dnsConfig = { nameservers: ['1.1.1.1'], searches: ['svc.example.com.'], options: [{ name: 'ndots', value: '2' }] };
    }),
  );
  only(
    edit(pod(), (m) => {
      m.spec.dnsConfig = { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9', '10.0.0.1'] };
    }),
    'spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "10.0.0.1"}: must not have more than 3 nameservers',
  );
  only(
    edit(pod(), (m) => {
      m.spec.dnsConfig = { nameservers: ['dns.google'] };
    }),
    'spec.dnsConfig.nameservers[0]: Invalid value: "dns.google": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  );
  const searches = Array.from({ length: 33 }, (_, i) => `s${i}.example.com`);
  has(
    edit(pod(), (m) => {
      m.spec.dnsConfig = { searches };
    }),
    `spec.dnsConfig.searches: Invalid value: []string{${searches.map((s) => `"${s}"`).join(', ')}}: must not have more than 32 search paths`,
  );
  only(
    edit(pod(), (m) => {
      m.spec.dnsConfig = { searches: ['Bad_Domain'] };
    }),
    `spec.dnsConfig.searches[0]: Invalid value: "Bad_Domain": ${SUBDOMAIN_MSG}`,
  );
  only(
    edit(pod(), (m) => {
      m.spec.dnsConfig = { options: [{ value: '1' }] };
    }),
    'spec.dnsConfig.options[0]: Required value: must not be empty',
  );
});

test('hostname and subdomain are DNS-1123 labels; nodeName a subdomain', () => {
  only(
    edit(pod(), (m) => {
      m.spec.hostname = 'My_Host';
    }),
    `spec.hostname: Invalid value: "My_Host": ${LABEL_MSG}`,
  );
  only(
    edit(pod(), (m) => {
      m.spec.subdomain = 'a.b';
    }),
    'spec.subdomain: Invalid value: "a.b": must not contain dots',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.hostname = 'web-0';
      m.spec.subdomain = 'web';
      m.spec.nodeName = 'triad-node';
    }),
  );
  only(
    edit(pod(), (m) => {
      m.spec.nodeName = 'Node_1';
    }),
    `spec.nodeName: Invalid value: "Node_1": ${SUBDOMAIN_MSG}`,
  );
});

test('terminationGracePeriodSeconds at least 0', () => {
  only(
    edit(pod(), (m) => {
      m.spec.terminationGracePeriodSeconds = -1;
    }),
    'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0',
  );
  ok(
    edit(pod(), (m) => {
      m.spec.terminationGracePeriodSeconds = 0;
    }),
  );
});

test('securityContext: user and group ids at least 0 (pod and container)', () => {
  const range = 'must be between 0 and 2147483647, inclusive';
  only(
    edit(pod(), (m) => {
      m.spec.securityContext = { runAsUser: -1, runAsGroup: -2, fsGroup: -3, supplementalGroups: [5, -4] };
    }),
    `spec.securityContext.runAsUser: Invalid value: -1: ${range}`,
    `spec.securityContext.runAsGroup: Invalid value: -2: ${range}`,
    `spec.securityContext.fsGroup: Invalid value: -3: ${range}`,
    `spec.securityContext.supplementalGroups[1]: Invalid value: -4: ${range}`,
  );
  only(
    c0((c) => {
      c.securityContext = { runAsUser: -1, runAsGroup: -1 };
    }),
    `spec.containers[0].securityContext.runAsUser: Invalid value: -1: ${range}`,
    `spec.containers[0].securityContext.runAsGroup: Invalid value: -1: ${range}`,
  );
  ok(
    c0((c) => {
      c.securityContext = { runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
    }),
  );
  has(
    c0((c) => {
      c.securityContext = { privileged: true, allowPrivilegeEscalation: false };
    }),
    'spec.containers[0].securityContext: Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
  );
});

test('PersistentVolumeClaim: storage request required and valid, access modes, volumeMode, class name', () => {
  only(
    edit(claim(), (m) => {
      delete m.spec.resources;
    }),
    'spec.resources[storage]: Required value',
  );
  only(
    edit(claim(), (m) => {
      m.spec.resources.requests.storage = 'lots';
    }),
    'spec.resources[storage]: Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
  );
  only(
    edit(claim(), (m) => {
      m.spec.resources.requests.storage = '0';
    }),
    'spec.resources[storage]: Invalid value: "0": must be greater than zero',
  );
  only(
    edit(claim(), (m) => {
      m.spec.accessModes = ['RWO'];
    }),
    'spec.accessModes: Unsupported value: "RWO": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
  );
  only(
    edit(claim(), (m) => {
      m.spec.accessModes = [];
    }),
    'spec.accessModes: Required value: at least 1 access mode is required',
  );
  only(
    edit(claim(), (m) => {
      m.spec.accessModes = ['ReadWriteOncePod', 'ReadOnlyMany'];
    }),
    'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
  );
  for (const mode of ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])
    ok(
      edit(claim(), (m) => {
        m.spec.accessModes = [mode];
      }),
    );
  only(
    edit(claim(), (m) => {
      m.spec.volumeMode = 'Raw';
    }),
    'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
  );
  only(
    edit(claim(), (m) => {
      m.spec.storageClassName = 'Fast_SSD';
    }),
    `spec.storageClassName: Invalid value: "Fast_SSD": ${SUBDOMAIN_MSG}`,
  );
  ok(
    edit(claim(), (m) => {
      m.spec.storageClassName = 'standard';
      m.spec.volumeMode = 'Block';
      m.spec.resources.requests.storage = 1073741824;
    }),
  );
  only(
    edit(claim(), (m) => {
      m.metadata.name = 'Data';
    }),
    `metadata.name: Invalid value: "Data": ${SUBDOMAIN_MSG}`,
  );
  try {
    validateManifest(
      edit(claim(), (m) => {
        delete m.spec.resources;
      }),
      'pvc.yaml',
    );
  } catch (e) {
    assert.is((e as Error).message, 'pvc.yaml: The PersistentVolumeClaim "data" is invalid: spec.resources[storage]: Required value');
  }
});

test('validating a defaulted object gives the same answer as the raw one', () => {
  const raw = c0((c) => {
    c.livenessProbe = { httpGet: { port: 'http' } };
    c.resources = { limits: { cpu: '500m' } };
  });
  const { warnings } = validateManifest(raw);
  assert.equal(warnings, []);
});

test.run();
