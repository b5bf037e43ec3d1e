import { join, posix } from 'node:path';
import { statfsAsync } from '../../lazy-builtins.js';
import type { Sample } from '../../protocol/messages.js';
import { gauge } from './family.js';
import { lines } from './parse-field.js';
import { readText } from './read-text.js';
import type { Collector, HostPaths } from './types.js';

/** node_exporter's defaults for --collector.filesystem.fs-types-exclude and mount-points-exclude (filesystem_linux.go). */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;
export const DEFAULT_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/**
 * node_exporter waits 5 s (--collector.filesystem.mount-timeout); the agent's default collector
 * timeout is 4 s (80% of a 5 s interval), so wait less to report a hung mount in the same run.
 */
export const DEFAULT_MOUNT_TIMEOUT_MS = 2000;

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** The kernel escapes space, tab, newline and backslash in mounts as 3-digit octal (\040 ...). */
export function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** /proc/<pid>/mounts: "device mountpoint fstype options dump pass". */
export function parseMounts(text: string): Mount[] {
  return lines(text).map(({ line, lineNo }) => {
    const [device, mountPoint, fsType, options] = line.trim().split(/\s+/);
    if (device === undefined || mountPoint === undefined || fsType === undefined || options === undefined) {
      throw new Error(`mounts: line ${lineNo}: expected at least 4 fields, got ${JSON.stringify(line)}`);
    }
    return { device: decodeMountField(device), mountPoint: decodeMountField(mountPoint), fsType, options: options.split(',') };
  });
}

/** A mount point as seen from the host: "/host/root/data" -> "/data" when root is "/host/root" (node_exporter's rootfsStripPrefix). */
export function stripRoot(mountPoint: string, root: string): string {
  const prefix = posix.normalize(root).replace(/\/+$/, '');
  if (prefix === '') return mountPoint;
  if (mountPoint === prefix) return '/';
  // Only whole path components: "/hostdata" is not under "/host".
  return mountPoint.startsWith(`${prefix}/`) ? mountPoint.slice(prefix.length) : mountPoint;
}

export function isExcluded(mountPoint: string, fsType: string): boolean {
  return DEFAULT_MOUNT_POINTS_EXCLUDE.test(mountPoint) || DEFAULT_FS_TYPES_EXCLUDE.test(fsType);
}

/** The part of fs.StatFs this collector uses, so tests can inject a statfs that never returns. */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}
export type StatfsFn = (path: string) => Promise<FsStats>;

export interface FilesystemOptions {
  statfs?: StatfsFn;
  mountTimeoutMs?: number;
}

type StatOutcome = { stats: FsStats } | { error: string };

async function readMounts(proc: string, signal: AbortSignal): Promise<Mount[]> {
  try {
    // PID 1's view is the host's mount table even when the agent runs in its own mount namespace.
    return parseMounts(await readText(join(proc, '1', 'mounts'), signal));
  } catch (err) {
    // hidepid hides /proc/1; fall back to our own view like node_exporter.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    return parseMounts(await readText(join(proc, 'mounts'), signal));
  }
}

/**
 * Size, free space and inodes of every mounted filesystem, with node_exporter's names and filters.
 * A statfs that has not answered within mountTimeoutMs (a hung NFS server) marks the mount
 * stuck: it reports device_error=1 and is not statfs'd again until that call returns, so a
 * dead server costs one blocked libuv thread, not one per run. A run aborted by its collector
 * timeout leaves its pending calls marked stuck the same way.
 */
export function createFilesystemCollector(paths: HostPaths, options: FilesystemOptions = {}): Collector {
  const statfs: StatfsFn = options.statfs ?? statfsAsync;
  const timeoutMs = options.mountTimeoutMs ?? DEFAULT_MOUNT_TIMEOUT_MS;
  const stuck = new Set<string>();

  /**
   * Every mount's statfs starts at once, so one timer (and one abort listener) ends the wait for
   * all of them: whatever has not answered by then is stuck.
   */
  async function statAll(paths: string[], signal: AbortSignal): Promise<StatOutcome[]> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      onAbort = () => resolve('timeout');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.all(paths.map(async (path): Promise<StatOutcome> => {
        if (stuck.has(path)) return { error: 'mountpoint stuck' };
        const outcome: Promise<StatOutcome> = statfs(path).then(
          (stats) => ({ stats }),
          (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
        );
        const first = await Promise.race([outcome, timedOut]);
        if (first !== 'timeout') return first;
        stuck.add(path);
        void outcome.then(() => stuck.delete(path));
        return { error: 'mountpoint timeout' };
      }));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort!);
    }
  }

  return {
    name: 'filesystem',
    async collect(signal) {
      const seen = new Set<string>();
      const targets: Array<{ labels: Record<string, string>; path: string; readonly: boolean }> = [];
      for (const mount of await readMounts(paths.proc, signal)) {
        const mountpoint = stripRoot(mount.mountPoint, paths.root);
        if (isExcluded(mountpoint, mount.fsType)) continue;
        const labels = { device: mount.device, fstype: mount.fsType, mountpoint };
        const key = JSON.stringify(labels);
        if (seen.has(key)) continue; // the same mount stacked twice: report it once
        seen.add(key);
        targets.push({ labels, path: join(paths.root, mountpoint), readonly: mount.options.includes('ro') });
      }
      const outcomes = await statAll(targets.map((t) => t.path), signal);
      signal.throwIfAborted();

      const size: Sample[] = [];
      const free: Sample[] = [];
      const avail: Sample[] = [];
      const files: Sample[] = [];
      const filesFree: Sample[] = [];
      const ro: Sample[] = [];
      const deviceError: Sample[] = [];
      targets.forEach(({ labels, readonly }, i) => {
        const outcome = outcomes[i]!;
        deviceError.push({ labels, value: 'error' in outcome ? 1 : 0 });
        if ('error' in outcome) return; // node_exporter sends only device_error for a failed mount
        const st = outcome.stats;
        size.push({ labels, value: st.blocks * st.bsize });
        free.push({ labels, value: st.bfree * st.bsize });
        avail.push({ labels, value: st.bavail * st.bsize });
        files.push({ labels, value: st.files });
        filesFree.push({ labels, value: st.ffree });
        // Node's statfs has no f_flags, so read-only comes from the mount options, as node_exporter now does.
        ro.push({ labels, value: readonly ? 1 : 0 });
      });
      return [
        gauge('node_filesystem_size_bytes', 'Filesystem size in bytes.', size, 'bytes'),
        gauge('node_filesystem_free_bytes', 'Filesystem free space in bytes.', free, 'bytes'),
        gauge('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', avail, 'bytes'),
        gauge('node_filesystem_files', 'Filesystem total file nodes.', files),
        gauge('node_filesystem_files_free', 'Filesystem total free file nodes.', filesFree),
        gauge('node_filesystem_readonly', 'Filesystem read-only status.', ro),
        gauge('node_filesystem_device_error', 'Whether an error occurred while getting statistics for the given device.', deviceError),
      ].filter((f) => f.samples.length > 0);
    },
  };
}
