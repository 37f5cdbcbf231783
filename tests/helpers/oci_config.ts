/**
 * A pod's one container turned into an OCI runtime config (config.json), the way a CRI runtime
 * (containerd, CRI-O) turns it for runc: the securityContext's user, group, read-only root,
 * capabilities, privilege escalation and seccomp profile; the limits as cgroup limits; the pod's network namespace
 * joined; kubelet's mounts (service-account token, resolv.conf, hosts) read-only. Only what the
 * manifests use is mapped; a field it does not know is refused, so that a manifest change that
 * this test would not honour fails loudly here instead of passing unchecked.
 */

/** The part of a Kubernetes container spec this mapping reads. */
export interface ContainerSpec {
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  resources?: { limits?: { cpu?: string; memory?: string } };
}

/** The pod-level securityContext (the container's own wins field by field). */
export type PodSecurityContext = NonNullable<ContainerSpec["securityContext"]>;

/** A bind mount from the host into the container. */
export interface BindMount {
  destination: string;
  source: string;
  readOnly: boolean;
}

/** What the runtime adds to the spec: the process, its environment and the pod's sandbox. */
export interface RuntimeInput {
  /** argv, the image's entrypoint and the container's args. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The pod's network namespace (`/var/run/netns/<name>`). */
  netnsPath: string;
  hostname: string;
  mounts: BindMount[];
}

/** containerd's default set: what a container keeps when its securityContext drops nothing. */
const DEFAULT_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/**
 * The capabilities left after the securityContext's `drop` and `add`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capabilities } from "./oci_config.ts";
 * assert.deepEqual(capabilities({ drop: ["ALL"] }), []);
 * assert.deepEqual(capabilities({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] }), ["CAP_NET_BIND_SERVICE"]);
 * ```
 */
export function capabilities(spec: { drop?: string[]; add?: string[] } = {}): string[] {
  const named = (names: string[] = []) => names.map((name) => `CAP_${name}`);
  const dropped = named(spec.drop);
  const kept = spec.drop?.includes("ALL")
    ? []
    : DEFAULT_CAPABILITIES.filter((cap) => !dropped.includes(cap));
  return [...new Set([...kept, ...named(spec.add)])];
}

/**
 * A Kubernetes memory quantity in bytes (`256Mi`, `1Gi`, `500M`, plain bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryBytes } from "./oci_config.ts";
 * assert.equal(memoryBytes("256Mi"), 268_435_456);
 * assert.throws(() => memoryBytes("lots"), /memory quantity/);
 * ```
 */
export function memoryBytes(quantity: string): number {
  const units: Record<string, number> = { "": 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, M: 1e6 };
  const match = /^(\d+)(Ki|Mi|Gi|M|)$/.exec(quantity);
  if (!match) throw new Error(`unknown memory quantity ${quantity}`);
  return Number(match[1]) * units[match[2]];
}

/**
 * A CPU quantity (`1`, `500m`) as a CFS quota per 100 ms period, in microseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cpuQuota } from "./oci_config.ts";
 * assert.equal(cpuQuota("1"), 100_000);
 * assert.equal(cpuQuota("250m"), 25_000);
 * ```
 */
export function cpuQuota(quantity: string): number {
  const match = /^(\d+)(m?)$/.exec(quantity);
  if (!match) throw new Error(`unknown cpu quantity ${quantity}`);
  const millicores = Number(match[1]) * (match[2] ? 1 : 1000);
  return millicores * 100;
}

/**
 * `seccompProfile: RuntimeDefault`, approximated: every syscall allowed but those Docker's
 * documentation lists as blocked by its default profile (containerd's is the same list, written
 * as an allow-list). They fail with EPERM, as there.
 */
export const RUNTIME_DEFAULT_BLOCKED = [
  "acct",
  "add_key",
  "bpf",
  "clock_adjtime",
  "clock_settime",
  "create_module",
  "delete_module",
  "finit_module",
  "get_kernel_syms",
  "get_mempolicy",
  "init_module",
  "ioperm",
  "iopl",
  "kcmp",
  "kexec_file_load",
  "kexec_load",
  "keyctl",
  "lookup_dcookie",
  "mbind",
  "mount",
  "move_pages",
  "name_to_handle_at",
  "nfsservctl",
  "open_by_handle_at",
  "perf_event_open",
  "pivot_root",
  "process_vm_readv",
  "process_vm_writev",
  "ptrace",
  "query_module",
  "quotactl",
  "reboot",
  "request_key",
  "set_mempolicy",
  "setns",
  "settimeofday",
  "swapoff",
  "swapon",
  "sysfs",
  "_sysctl",
  "umount",
  "umount2",
  "unshare",
  "uselib",
  "userfaultfd",
  "ustat",
];

/** The OCI seccomp section for a Kubernetes `seccompProfile` (none for `Unconfined`). */
function seccomp(profile: { type: string } | undefined) {
  if (!profile || profile.type === "Unconfined") return {};
  if (profile.type !== "RuntimeDefault") {
    throw new Error(`seccompProfile ${profile.type} not mapped`);
  }
  return {
    seccomp: {
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: [{ names: RUNTIME_DEFAULT_BLOCKED, action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
    },
  };
}

const KNOWN_SECURITY_FIELDS = new Set([
  "runAsNonRoot",
  "runAsUser",
  "runAsGroup",
  "readOnlyRootFilesystem",
  "allowPrivilegeEscalation",
  "capabilities",
  "seccompProfile",
]);

/**
 * The OCI config for `container` of a pod with `podContext`, run as `runtime` says.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ociConfig } from "./oci_config.ts";
 * const config = ociConfig(
 *   { securityContext: { runAsUser: 65532, runAsGroup: 65532, readOnlyRootFilesystem: true } },
 *   {},
 *   { args: ["/app"], cwd: "/", env: {}, netnsPath: "/var/run/netns/p", hostname: "p", mounts: [] },
 * );
 * assert.deepEqual(config.process.user, { uid: 65532, gid: 65532 });
 * assert.equal(config.root.readonly, true);
 * ```
 */
export function ociConfig(
  container: ContainerSpec,
  podContext: PodSecurityContext,
  runtime: RuntimeInput,
) {
  const security = { ...podContext, ...container.securityContext };
  const unknown = Object.keys(security).filter((key) => !KNOWN_SECURITY_FIELDS.has(key));
  if (unknown.length > 0) throw new Error(`securityContext fields not mapped: ${unknown}`);
  const uid = security.runAsUser ?? 0;
  if (security.runAsNonRoot && uid === 0) {
    throw new Error("runAsNonRoot with uid 0: kubelet would refuse to start the container");
  }
  const caps = capabilities(security.capabilities);
  const limits = container.resources?.limits ?? {};
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid, gid: security.runAsGroup ?? 0 },
      args: runtime.args,
      env: Object.entries(runtime.env).map(([name, value]) => `${name}=${value}`),
      cwd: runtime.cwd,
      capabilities: {
        bounding: caps,
        effective: caps,
        permitted: caps,
        inheritable: [] as string[],
        ambient: [] as string[],
      },
      noNewPrivileges: security.allowPrivilegeEscalation === false,
    },
    root: { path: "rootfs", readonly: security.readOnlyRootFilesystem ?? false },
    hostname: runtime.hostname,
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      {
        destination: "/sys",
        type: "sysfs",
        source: "sysfs",
        options: ["nosuid", "noexec", "nodev", "ro"],
      },
      ...runtime.mounts.map((mount) => ({
        destination: mount.destination,
        type: "bind",
        source: mount.source,
        options: ["rbind", "nosuid", "nodev", mount.readOnly ? "ro" : "rw"],
      })),
    ],
    linux: {
      namespaces: [
        { type: "pid" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
        { type: "network", path: runtime.netnsPath },
      ],
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        ...(limits.memory ? { memory: { limit: memoryBytes(limits.memory) } } : {}),
        ...(limits.cpu ? { cpu: { quota: cpuQuota(limits.cpu), period: 100_000 } } : {}),
      },
      ...seccomp(security.seccompProfile),
      maskedPaths: [
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
      ],
      readonlyPaths: [
        "/proc/asound",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
      ],
    },
  };
}
