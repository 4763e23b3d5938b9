// Strict decoding against the supported field subset: unknown fields (kubectl's wording), fields
// that exist but are ignored on one node (warnings), fields that would change behaviour but are
// unsupported (errors), and mistyped values.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManifestError, parseManifests, validateManifest } from '../../harness/manifest/index.js';

const test = suite('manifest fields');

type Any = any;

function pod(): Any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', image: 'busybox', ports: [{ containerPort: 80 }] }], volumes: [{ name: 'v', emptyDir: {} }] },
  };
}
const edit = (f: (m: Any) => void): Any => {
  const m = pod();
  f(m);
  return m;
};
function errors(m: unknown): string[] {
  try {
    validateManifest(m);
    return [];
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    return e.errors.map((x) => x.message);
  }
}
const warnings = (m: unknown) => validateManifest(m).warnings;

test("an unknown field is kubectl's strict-decoding error, at any depth", () => {
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].imagePulPolicy = 'Always';
      }),
    ),
    ['unknown field "spec.containers[0].imagePulPolicy"'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.restartpolicy = 'Never';
      }),
    ),
    ['unknown field "spec.restartpolicy"'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.metadata.label = { a: 'b' };
      }),
    ),
    ['unknown field "metadata.label"'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.volumes[0].emptyDir.size = '1Gi';
      }),
    ),
    ['unknown field "spec.volumes[0].emptyDir.size"'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].ports[0].port = 80;
      }),
    ),
    ['unknown field "spec.containers[0].ports[0].port"'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].livenessProbe = { httpGet: { port: 80, paht: '/' } };
      }),
    ),
    ['unknown field "spec.containers[0].livenessProbe.httpGet.paht"'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.specs = {};
      }),
    ),
    ['unknown field "specs"'],
  );
  // unknown-field errors come with the semantic ones, all in one exception
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].imagePulPolicy = 'Always';
        m.spec.containers[0].name = 'App';
      }),
    ).length,
    2,
  );
  const e = (() => {
    try {
      validateManifest(
        edit((m) => {
          m.spec.containers[0].imagePulPolicy = 'Always';
        }),
        'pod.yaml',
      );
    } catch (x) {
      return x as Error;
    }
  })();
  assert.is(e?.message, 'pod.yaml: The Pod "web" is invalid: unknown field "spec.containers[0].imagePulPolicy"');
});

test('fields that cannot change behaviour on one node are warnings naming the path and why', () => {
  const m = edit((p) => {
    p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u' }];
    p.metadata.finalizers = ['example.com/x'];
    p.spec.nodeSelector = { disk: 'ssd' };
    p.spec.affinity = { nodeAffinity: {} };
    p.spec.tolerations = [{ operator: 'Exists' }];
    p.spec.priorityClassName = 'high';
    p.spec.schedulerName = 'custom';
    p.spec.serviceAccountName = 'builder';
    p.spec.automountServiceAccountToken = false;
    p.spec.enableServiceLinks = false;
    p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
    p.spec.containers[0].terminationMessagePolicy = 'FallbackToLogsOnError';
    p.spec.containers[0].stdin = true;
    p.spec.containers[0].tty = true;
    p.status = { phase: 'Running' };
  });
  const w = warnings(m);
  const expect = [
    'metadata.ownerReferences: ignored: there is no garbage collector',
    'metadata.finalizers: ignored: there is no API server to hold the deletion',
    'spec.containers[0].terminationMessagePolicy: ignored: the termination message is not collected',
    'spec.nodeSelector: ignored: there is no scheduler: the pod runs on this node',
    'spec.affinity: ignored: there is no scheduler: the pod runs on this node',
    'spec.tolerations: ignored: there is no scheduler: the pod runs on this node',
    'spec.priorityClassName: ignored: there is no scheduler: the pod runs on this node',
    'spec.schedulerName: ignored: there is no scheduler: the pod runs on this node',
    'spec.serviceAccountName: ignored: there are no service accounts',
    'spec.automountServiceAccountToken: ignored: there are no service account tokens to mount',
    'spec.enableServiceLinks: ignored: there are no Services',
    'spec.topologySpreadConstraints: ignored: there is no scheduler: the pod runs on this node',
    'status: ignored: status is reported by the kubelet, not read from the manifest',
  ];
  assert.equal([...w].sort(), [...expect].sort());
  // a warning never makes the manifest invalid, and the content of an ignored field is not checked
  assert.equal(
    errors(
      edit((p) => {
        p.spec.affinity = { whatever: { deeply: ['nested'] } };
      }),
    ),
    [],
  );
});

test('metadata.generateName is an error: the harness needs a name', () => {
  assert.equal(
    errors(
      edit((m) => {
        m.metadata.generateName = 'web-';
      }),
    ),
    ['metadata.generateName: Forbidden: not supported by triad: set metadata.name (there is no API server to generate a name)'],
  );
  assert.equal(
    errors(
      edit((m) => {
        delete m.metadata.name;
        m.metadata.generateName = 'web-';
      }),
    ),
    ['metadata.generateName: Forbidden: not supported by triad: set metadata.name (there is no API server to generate a name)'],
  );
});

test('fields that would change behaviour but are unsupported are errors naming the path', () => {
  const cases: [(m: Any) => void, string][] = [
    [
      (m) => {
        m.spec.volumes[0] = { name: 'v', configMap: { name: 'cfg' } };
      },
      'spec.volumes[0].configMap: Unsupported value: "configMap": supported values: "emptyDir", "hostPath", "persistentVolumeClaim", "csi"',
    ],
    [
      (m) => {
        m.spec.volumes[0] = { name: 'v', projected: { sources: [] } };
      },
      'spec.volumes[0].projected: Unsupported value: "projected": supported values: "emptyDir", "hostPath", "persistentVolumeClaim", "csi"',
    ],
    [
      (m) => {
        m.spec.containers[0].envFrom = [{ configMapRef: { name: 'x' } }];
      },
      'spec.containers[0].envFrom: Forbidden: not supported by triad: ConfigMaps and Secrets do not exist in the harness',
    ],
    [
      (m) => {
        m.spec.containers[0].env = [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
      },
      'spec.containers[0].env[0].valueFrom: Forbidden: not supported by triad: ConfigMaps and Secrets do not exist in the harness, and the downward API and resource references are not resolved',
    ],
    [
      (m) => {
        m.spec.readinessGates = [{ conditionType: 'x' }];
      },
      'spec.readinessGates: Forbidden: not supported by triad: there are no controllers to set readiness gate conditions',
    ],
    [
      (m) => {
        m.spec.shareProcessNamespace = true;
      },
      'spec.shareProcessNamespace: Forbidden: not supported by triad: containers never share a PID namespace',
    ],
    [
      (m) => {
        m.spec.hostPID = true;
      },
      'spec.hostPID: Forbidden: not supported by triad: the sandbox always has its own PID namespace',
    ],
    [
      (m) => {
        m.spec.hostIPC = true;
      },
      'spec.hostIPC: Forbidden: not supported by triad: the sandbox always has its own IPC namespace',
    ],
    [
      (m) => {
        m.spec.os = { name: 'linux' };
      },
      'spec.os: Forbidden: not supported by triad: the pod OS is not checked or applied',
    ],
    [
      (m) => {
        m.spec.runtimeClassName = 'gvisor';
      },
      'spec.runtimeClassName: Forbidden: not supported by triad: there is one runtime handler',
    ],
    [
      (m) => {
        m.spec.hostAliases = [{ ip: '1.2.3.4', hostnames: ['x'] }];
      },
      'spec.hostAliases: Forbidden: not supported by triad: /etc/hosts entries are not written',
    ],
    [
      (m) => {
        m.spec.activeDeadlineSeconds = 60;
      },
      'spec.activeDeadlineSeconds: Forbidden: not supported by triad: active deadlines are not enforced',
    ],
    [
      (m) => {
        m.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }];
      },
      'spec.ephemeralContainers: Forbidden: cannot be set on create',
    ],
    [
      (m) => {
        m.spec.containers[0].volumeMounts = [{ name: 'v', mountPath: '/v', subPathExpr: '$(POD)' }];
      },
      'spec.containers[0].volumeMounts[0].subPathExpr: Forbidden: not supported by triad: subPathExpr is not expanded',
    ],
    [
      (m) => {
        m.spec.containers[0].volumeMounts = [{ name: 'v', mountPath: '/v', mountPropagation: 'Bidirectional' }];
      },
      'spec.containers[0].volumeMounts[0].mountPropagation: Forbidden: not supported by triad: only private mounts (mountPropagation None)',
    ],
    [
      (m) => {
        m.spec.securityContext = { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] };
      },
      'spec.securityContext.sysctls: Forbidden: not supported by triad: sysctls are not set in the sandbox',
    ],
    [
      (m) => {
        m.spec.containers[0].securityContext = { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } };
      },
      'spec.containers[0].securityContext.seccompProfile: Forbidden: not supported by triad: a Localhost seccomp profile cannot be loaded',
    ],
  ];
  for (const [f, want] of cases) assert.equal(errors(edit(f)), [want]);
});

test('the same fields with their Kubernetes default values change nothing and pass', () => {
  const m = edit((p) => {
    p.spec.hostPID = false;
    p.spec.hostIPC = false;
    p.spec.shareProcessNamespace = false;
    p.spec.hostUsers = true;
    p.spec.containers[0].volumeMounts = [{ name: 'v', mountPath: '/v', mountPropagation: 'None' }];
  });
  assert.equal(errors(m), []);
  assert.equal(warnings(m), []);
  // the runtime-default seccomp profile (what restricted pods ask for) is a warning, not an error
  assert.equal(
    warnings(
      edit((p) => {
        p.spec.securityContext = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
      }),
    ),
    ['spec.securityContext.seccompProfile: ignored: triad does not apply seccomp profiles (RuntimeDefault)'],
  );
});

test('supported fields of harness/api/types.ts produce no warnings', () => {
  const m = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'full', namespace: 'ns', uid: 'u', labels: { a: 'b' }, annotations: { 'x/y': 'z' }, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      restartPolicy: 'OnFailure',
      hostname: 'h',
      subdomain: 's',
      hostNetwork: false,
      dnsPolicy: 'ClusterFirst',
      nodeName: 'triad-node',
      dnsConfig: { nameservers: ['10.0.0.10'], searches: ['svc.local'], options: [{ name: 'ndots', value: '5' }] },
      terminationGracePeriodSeconds: 10,
      securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 2000, supplementalGroups: [3000] },
      volumes: [
        { name: 'e', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'h', hostPath: { path: '/tmp', type: 'DirectoryOrCreate' } },
        { name: 'p', persistentVolumeClaim: { claimName: 'c', readOnly: true } },
        {
          name: 'c',
          csi: { driver: 'memory.csi.triad.dev', readOnly: false, fsType: 'ext4', volumeAttributes: { a: 'b' }, nodePublishSecretRef: { name: 'sec' } },
        },
      ],
      initContainers: [{ name: 'side', image: 'busybox', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }],
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          imagePullPolicy: 'IfNotPresent',
          command: ['sh'],
          args: ['-c', 'sleep 1'],
          workingDir: '/',
          env: [{ name: 'A', value: '1' }],
          ports: [{ name: 'http', containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1', protocol: 'TCP' }],
          volumeMounts: [{ name: 'e', mountPath: '/e', readOnly: true, subPath: 'sub' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
          livenessProbe: {
            httpGet: { path: '/', port: 'http', host: '127.0.0.1', scheme: 'HTTP', httpHeaders: [{ name: 'X-A', value: 'b' }] },
            initialDelaySeconds: 1,
            periodSeconds: 2,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
            terminationGracePeriodSeconds: 5,
          },
          readinessProbe: { tcpSocket: { port: 80, host: 'localhost' } },
          securityContext: {
            runAsUser: 1000,
            runAsGroup: 1000,
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            privileged: false,
            allowPrivilegeEscalation: false,
            capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          },
          lifecycle: { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 1 } } },
          terminationMessagePath: '/dev/termination-log',
        },
      ],
    },
  };
  assert.equal(errors(m), []);
  assert.equal(warnings(m), []);
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'c' },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '1Gi' }, limits: { storage: '2Gi' } },
    },
  };
  assert.equal(warnings(pvc), []);
});

test('PVC: unsupported binding fields are errors, status a warning', () => {
  const pvc = (extra: Any): Any => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...extra },
  });
  assert.equal(errors(pvc({ volumeName: 'pv-1' })), [
    'spec.volumeName: Forbidden: not supported by triad: claims are provisioned dynamically, never bound to a named volume',
  ]);
  assert.equal(errors(pvc({ dataSource: { kind: 'VolumeSnapshot', name: 's' } })), [
    'spec.dataSource: Forbidden: not supported by triad: volumes are not populated from snapshots or other claims',
  ]);
  assert.equal(errors(pvc({ storageClass: 'standard' })), ['unknown field "spec.storageClass"']);
  assert.equal(warnings({ ...pvc({}), status: { phase: 'Bound' } }), ['status: ignored: status is reported by the kubelet, not read from the manifest']);
});

test('mistyped values are errors naming the path (and stop before the semantic rules)', () => {
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].ports[0].containerPort = '80';
      }),
    ),
    ['spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers = { name: 'app' };
      }),
    ),
    ['spec.containers: Invalid value: {"name":"app"}: must be an array'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].command = 'sleep 10';
      }),
    ),
    ['spec.containers[0].command: Invalid value: "sleep 10": must be an array'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.metadata.labels = { version: 1.0 };
      }),
    ),
    ['metadata.labels[version]: Invalid value: 1: must be a string (quote it)'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.hostNetwork = 'yes';
      }),
    ),
    ['spec.hostNetwork: Invalid value: "yes": must be a boolean'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].livenessProbe = { tcpSocket: { port: 80.5 } };
      }),
    ),
    ['spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 80.5: must be an integer or a string'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].resources = { limits: { cpu: true } };
      }),
    ),
    ['spec.containers[0].resources.limits[cpu]: Invalid value: true: must be a quantity (a string such as "500m" or "1Gi", or a number)'],
  );
  assert.equal(
    errors(
      edit((m) => {
        m.spec.containers[0].args = ['a', 1];
      }),
    ),
    ['spec.containers[0].args[1]: Invalid value: 1: must be a string (quote it)'],
  );
});

test('null means unset, as in Kubernetes JSON', () => {
  assert.equal(
    errors(
      edit((m) => {
        m.metadata.creationTimestamp = null;
        m.spec.containers[0].resources = null;
        m.spec.nodeSelector = null;
      }),
    ),
    [],
  );
  assert.equal(
    warnings(
      edit((m) => {
        m.spec.nodeSelector = null;
      }),
    ),
    [],
  );
  // what `kubectl run x --image=busybox --dry-run=client -o yaml` prints loads without warnings
  const [p] = parseManifests(
    'apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels:\n    run: x\n  name: x\nspec:\n  containers:\n  - image: busybox\n    name: x\n    resources: {}\n  dnsPolicy: ClusterFirst\n  restartPolicy: Always\nstatus: {}\n',
    'dry-run.yaml',
  );
  assert.ok(p.metadata.creationTimestamp);
  assert.equal(validateManifest(p).warnings, []);
  assert.equal(
    warnings(
      edit((m) => {
        m.spec.tolerations = [];
        m.spec.nodeSelector = {};
      }),
    ),
    [],
  );
});

test.run();
