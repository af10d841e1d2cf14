// Promise wrappers over the callback fs API on raw descriptors. The callback API runs each call
// on the libuv pool and costs less per call than FileHandle; the main thread never blocks on disk.

import * as fs from 'node:fs';

export function openFd(path: string, flags: number, mode: number): Promise<number> {
  return new Promise((res, rej) => fs.open(path, flags, mode, (e, fd) => (e ? rej(e) : res(fd))));
}
export function closeFd(fd: number): Promise<void> {
  return new Promise((res, rej) => fs.close(fd, (e) => (e ? rej(e) : res())));
}
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((res, rej) => fs.fsync(fd, (e) => (e ? rej(e) : res())));
}
export function fstatFd(fd: number): Promise<fs.Stats> {
  return new Promise((res, rej) => fs.fstat(fd, (e, st) => (e ? rej(e) : res(st))));
}
export function fchmodFd(fd: number, mode: number): Promise<void> {
  return new Promise((res, rej) => fs.fchmod(fd, mode, (e) => (e ? rej(e) : res())));
}
export function fchownFd(fd: number, uid: number, gid: number): Promise<void> {
  return new Promise((res, rej) => fs.fchown(fd, uid, gid, (e) => (e ? rej(e) : res())));
}
export function ftruncateFd(fd: number, len: number): Promise<void> {
  return new Promise((res, rej) => fs.ftruncate(fd, len, (e) => (e ? rej(e) : res())));
}

export interface WriteOutcome {
  bytes: number;
  error: NodeJS.ErrnoException | null;
}

/** Write all of buf (looping over short writes); stops at the first error and says how far it got. */
export function writeAll(fd: number, buf: Buffer): Promise<WriteOutcome> {
  return new Promise((resolve) => {
    let done = 0;
    const step = (): void => {
      if (done >= buf.length) return resolve({ bytes: done, error: null });
      fs.write(fd, buf, done, buf.length - done, null, (e, n) => {
        if (e) return resolve({ bytes: done, error: e });
        if (n === 0) {
          const err: NodeJS.ErrnoException = new Error('write returned 0 bytes');
          err.code = 'EIO';
          return resolve({ bytes: done, error: err });
        }
        done += n;
        step();
      });
    };
    step();
  });
}
