// The run's own log filesystem for the disk faults (slow-disk, freeze-fs, disk-full): a sparse
// image file in the run dir, attached to a loop device, formatted ext4 (no root reserve, so the
// daemon, which runs as root, meets ENOSPC when disk-full fills it), mounted under the run dir.
// The daemon's log goes there (StartContext.logDir), or, with a slow layer (slow-disk's FUSE
// method), into slowfs mounted over a directory of it. Undo: thaw, umount, detach every loop
// device backing the image, delete the image; each step tolerates "already done", so the undo
// works after any exit path, including `auditstorm reset` after SIGKILL. The slow layer is
// mounted after the volume and so undone before it.
import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { HostSession } from '../host/host-session.ts';
import { host } from '../host/command.ts';
import { isMounted, loopDevicesOf } from '../host/mounts.ts';
import type { UndoStep } from '../host/undo-steps.ts';
import { SlowLayer } from './slow-layer.ts';

export { isMounted, loopDevicesOf };

export interface LogVolumeOptions {
  /** the run dir: the image and the mount point go here */
  dir: string;
  session: HostSession;
  /** default 2 GiB (sparse: only what the log writes takes disk space) */
  sizeBytes?: number;
  /** put slowfs between the daemon and the filesystem (slow-disk's FUSE method) */
  slowLayer?: boolean;
}

export const DEFAULT_LOG_VOLUME_BYTES = 2 * 1024 ** 3;

/**
 * The undo of a log volume: thaw (a frozen filesystem cannot be unmounted, and its writers sleep
 * until it is thawed), unmount, detach the loop devices, delete the image. The image stays while a
 * loop device may still hold it, so a failed detach can be retried by path.
 */
export function logVolumeUndo(image: string, mountPoint: string): UndoStep[] {
  return [
    { op: 'thaw', path: mountPoint },
    { op: 'umount', path: mountPoint, haltOnFailure: true },
    { op: 'detach-loop', file: image, haltOnFailure: true },
    { op: 'remove', path: image },
    { op: 'rmdir', path: mountPoint },
  ];
}

export class LogVolume {
  /** where the daemon's log goes: the slow layer's mount when there is one, else the filesystem */
  readonly logDir: string;

  private constructor(
    /** the ext4 filesystem's mount point (freeze, fill and free space act here) */
    readonly mountPoint: string,
    readonly image: string,
    /** e.g. /dev/loop3 */
    readonly loopDevice: string,
    /** major:minor of the loop device, for the cgroup io throttle */
    readonly device: string,
    readonly sizeBytes: number,
    private readonly session: HostSession,
    private readonly trackId: number,
    /** slowfs over `<mountPoint>/log`, null without one */
    readonly slowLayer: SlowLayer | null,
  ) {
    this.logDir = slowLayer ? slowLayer.mountPoint : mountPoint;
  }

  static async create(o: LogVolumeOptions): Promise<LogVolume> {
    const sizeBytes = o.sizeBytes ?? DEFAULT_LOG_VOLUME_BYTES;
    const image = join(o.dir, 'logfs.img');
    const mountPoint = join(o.dir, 'logfs');
    // Recorded before anything exists, so a SIGKILL at any step leaves enough to undo.
    const undo = logVolumeUndo(image, mountPoint);
    const trackId = o.session.track('log-volume', `log volume ${mountPoint}`, undo);
    try {
      mkdirSync(mountPoint, { recursive: true });
      writeFileSync(image, '');
      await host('truncate', ['-s', String(sizeBytes), image]);
      const loopDevice = (await host('losetup', ['-f', '--show', image])).trim();
      // no reserved blocks (-m 0): root meets ENOSPC like anyone; eager init: no background
      // writes from ext4lazyinit competing with the daemon's log under a throttle
      await host('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=0,lazy_journal_init=0', loopDevice], 120_000);
      await host('mount', ['-t', 'ext4', loopDevice, mountPoint]);
      const device = readFileSync(`/sys/block/${basename(loopDevice)}/dev`, 'utf8').trim();
      let slow: SlowLayer | null = null;
      if (o.slowLayer) {
        const backing = join(mountPoint, 'log');
        mkdirSync(backing, { recursive: true });
        slow = await SlowLayer.mount({ backing, mountPoint: join(o.dir, 'logfs-slow'), session: o.session });
      }
      return new LogVolume(mountPoint, image, loopDevice, device, sizeBytes, o.session, trackId, slow);
    } catch (err) {
      // on failure the record stays for the session's restore
      await o.session.undo(trackId).catch(() => undefined);
      throw err;
    }
  }

  /** bytes an unprivileged writer may still write (ext4 made with -m 0: the same for root) */
  freeBytes(): number {
    const s = statfsSync(this.mountPoint);
    return s.bavail * s.bsize;
  }

  mounted(): boolean {
    return existsSync(this.mountPoint) && isMounted(this.mountPoint);
  }

  async destroy(): Promise<void> {
    await this.slowLayer?.unmount();
    await this.session.undo(this.trackId);
  }
}
