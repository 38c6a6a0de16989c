/**
 * A container's filesystem view, emulated with bind mounts in a private mount namespace: the host's binaries and
 * /etc stand in for the image; /run and /tmp are the container's own (fresh per container, like a writable layer);
 * each hostPath volume is `<host root><path>` mounted at its mountPath. hostPath types are checked (or created) the
 * way the kubelet does before the container may start. A mountPath that does not exist on this machine
 * (`/etc/kubernetes/pki/etcd`: no kubeadm here) is created, as the runtime creates it in the image, in a private
 * writable overlay over its top-level directory (`/etc`), so the real filesystem is left alone.
 */
import { closeSync, mkdirSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BindMount } from '../netns/lab-process.js';
import type { Container, StaticPod } from './pod-manifest.js';

/** Directories a container owns privately; mount targets inside them are created in the scratch copy. */
const PRIVATE_DIRS = ['/run', '/tmp'];

export interface ContainerMounts {
  readonly binds: BindMount[];
  /** Why the container cannot start yet (the kubelet's MountVolume.SetUp errors); empty when it can. */
  readonly problems: string[];
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The kubelet's hostPath type check; creates what *OrCreate (and the runtime, for an unset type) would create. */
function checkHostPath(hostFile: string, type: string, shown: string): string | undefined {
  const st = statOrUndefined(hostFile);
  switch (type) {
    case '':
      // No kubelet check; containerd creates a missing source as a directory.
      if (!st) mkdirSync(hostFile, { recursive: true, mode: 0o755 });
      return undefined;
    case 'DirectoryOrCreate':
      if (!st) mkdirSync(hostFile, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) return `hostPath type check failed: ${shown} is not a directory`;
      return undefined;
    case 'Directory':
      return st?.isDirectory() ? undefined : `hostPath type check failed: ${shown} is not a directory`;
    case 'FileOrCreate':
      if (!st) {
        // The kubelet creates the file but not its parent directory.
        if (!statOrUndefined(dirname(hostFile))?.isDirectory()) return `hostPath type check failed: ${shown}: parent directory does not exist`;
        closeSync(openSync(hostFile, 'a', 0o644));
        return undefined;
      }
      return st.isFile() ? undefined : `hostPath type check failed: ${shown} is not a file`;
    case 'File':
      return st?.isFile() ? undefined : `hostPath type check failed: ${shown} is not a file`;
    case 'Socket':
      return st?.isSocket() ? undefined : `hostPath type check failed: ${shown} is not a socket file`;
    case 'CharDevice':
      return st?.isCharacterDevice() ? undefined : `hostPath type check failed: ${shown} is not a character device`;
    case 'BlockDevice':
      return st?.isBlockDevice() ? undefined : `hostPath type check failed: ${shown} is not a block device`;
    default:
      return `hostPath ${shown}: unknown type ${type}`;
  }
}

/**
 * @param root the host root (what the node's `/` holds for the agent's files)
 * @param scratchDir a directory for this container only; emptied here
 */
export function prepareContainerMounts(root: string, scratchDir: string, pod: StaticPod, container: Container): ContainerMounts {
  rmSync(scratchDir, { recursive: true, force: true });
  const privateBinds: BindMount[] = PRIVATE_DIRS.map((dir) => {
    const source = join(scratchDir, dir);
    mkdirSync(source, { recursive: true, mode: dir === '/tmp' ? 0o1777 : 0o755 });
    return { source, target: dir };
  });
  // Host roots usually live under the real /tmp: the private /tmp goes on last, once every source is mounted.
  const binds: BindMount[] = privateBinds.filter((b) => b.target !== '/tmp');
  const problems: string[] = [];
  /** Top-level directories given a writable overlay, by path; their upper dir receives the missing mount points. */
  const overlays = new Map<string, string>();
  // Overlays go on before any bind (a bind under /etc would otherwise be hidden by an overlay mounted on /etc later).
  const overlayBinds: BindMount[] = [];
  const volumeBinds: BindMount[] = [];
  const overlayFor = (top: string): string => {
    let dir = overlays.get(top);
    if (!dir) {
      dir = join(scratchDir, 'overlay', top.replace(/\//g, '_'));
      mkdirSync(join(dir, 'upper'), { recursive: true, mode: 0o755 });
      mkdirSync(join(dir, 'work'), { recursive: true, mode: 0o755 });
      overlays.set(top, dir);
      overlayBinds.push({ source: dir, target: top, overlay: true });
    }
    return dir;
  };
  const mounts = [...container.volumeMounts].sort((a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length);
  for (const m of mounts) {
    const volume = pod.hostPathVolumes.get(m.name);
    if (!volume) continue; // reported by podProblems
    const source = join(root, volume.path);
    const problem = checkHostPath(source, volume.type, volume.path);
    if (problem) {
      problems.push(`MountVolume.SetUp failed for volume "${m.name}": ${problem}`);
      continue;
    }
    const isDir = statSync(source).isDirectory();
    const privateParent = PRIVATE_DIRS.find((d) => m.mountPath === d || m.mountPath.startsWith(`${d}/`));
    if (privateParent === '/tmp') {
      problems.push(`volume "${m.name}": mounts under /tmp are not emulated (the stand-in mounts the container's private /tmp last)`);
      continue;
    }
    if (privateParent) {
      const inScratch = join(scratchDir, m.mountPath);
      if (isDir) mkdirSync(inScratch, { recursive: true, mode: 0o755 });
      else {
        mkdirSync(dirname(inScratch), { recursive: true, mode: 0o755 });
        closeSync(openSync(inScratch, 'a', 0o644));
      }
    } else {
      const target = statOrUndefined(m.mountPath);
      const top = `/${m.mountPath.split('/')[1] ?? ''}`;
      if (!target && top !== m.mountPath && statOrUndefined(top)?.isDirectory()) {
        // The runtime creates a missing mount point in the container's rootfs: here in an overlay's upper dir.
        const inUpper = join(overlayFor(top), 'upper', m.mountPath.slice(top.length));
        if (isDir) mkdirSync(inUpper, { recursive: true, mode: 0o755 });
        else {
          mkdirSync(dirname(inUpper), { recursive: true, mode: 0o755 });
          closeSync(openSync(inUpper, 'a', 0o644));
        }
      } else if (!target || target.isDirectory() !== isDir) {
        problems.push(
          `volume "${m.name}": the stand-in uses this machine's filesystem as the image, and ${m.mountPath} ${target ? `is not a ${isDir ? 'directory' : 'file'}` : 'does not exist'} here to mount ${volume.path} on (install the package that provides it)`,
        );
        continue;
      }
    }
    volumeBinds.push({ source, target: m.mountPath, readOnly: m.readOnly });
  }
  binds.push(...overlayBinds, ...volumeBinds);
  binds.push(...privateBinds.filter((b) => b.target === '/tmp'));
  return { binds, problems };
}
