// slowfs: a passthrough FUSE filesystem that makes every write slow: each write() waits for its
// bytes to pass a device clock running at RATE bytes/s (writes share the clock, so concurrent
// writers get RATE together; after a pause, up to 100 ms of the rate passes at once), then
// LATENCY microseconds more. Without writeback caching the
// kernel sends every write() of a FUSE file to us synchronously, so buffered writes are slowed
// as much as O_DSYNC ones, whatever the writer's flush mode.
//
// usage: slowfs BACKING_DIR MOUNTPOINT
// control, one line on stdin each:  "set RATE LATENCY_US" (0 = off)  |  "stats"
// "stats" answers one JSON line on stdout with cumulative counters and the min/max per-write
// service time since the previous "stats" (what the harness measures a window with).
// stdin closing (the harness died) turns the delays off; the mount stays until it is undone.
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <fuse.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

// idle time credited to the device clock (100 ms of the rate)
#define BURST_NS 100000000ull

static int backing = -1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rate_bps = 0, latency_us = 0;
static uint64_t next_free_ns = 0;
static uint64_t n_writes = 0, n_bytes = 0, sum_us = 0, sum_wait_us = 0;
static uint64_t win_min_us = UINT64_MAX, win_max_us = 0;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
  struct timespec ts = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static const char *rel(const char *path) {
  while (*path == '/') path++;
  return *path ? path : ".";
}

static void *slow_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->use_ino = 1;
  // sizes and names change under the writer only through us: short caches are enough
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  return NULL;
}

static int slow_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  int r = fi ? fstat((int)fi->fh, st) : fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW);
  return r == -1 ? -errno : 0;
}

static int slow_access(const char *path, int mask) {
  return faccessat(backing, rel(path), mask, 0) == -1 ? -errno : 0;
}

static int slow_readlink(const char *path, char *buf, size_t size) {
  ssize_t n = readlinkat(backing, rel(path), buf, size - 1);
  if (n == -1) return -errno;
  buf[n] = 0;
  return 0;
}

static int slow_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)off; (void)fi; (void)flags;
  int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY);
  if (fd == -1) return -errno;
  DIR *d = fdopendir(fd);
  if (!d) { close(fd); return -errno; }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    struct stat st = { 0 };
    st.st_ino = e->d_ino;
    st.st_mode = (mode_t)e->d_type << 12;
    if (fill(buf, e->d_name, &st, 0, 0)) break;
  }
  closedir(d);
  return 0;
}

static int slow_mkdir(const char *path, mode_t mode) { return mkdirat(backing, rel(path), mode) == -1 ? -errno : 0; }
static int slow_unlink(const char *path) { return unlinkat(backing, rel(path), 0) == -1 ? -errno : 0; }
static int slow_rmdir(const char *path) { return unlinkat(backing, rel(path), AT_REMOVEDIR) == -1 ? -errno : 0; }
static int slow_symlink(const char *from, const char *to) { return symlinkat(from, backing, rel(to)) == -1 ? -errno : 0; }
static int slow_link(const char *from, const char *to) { return linkat(backing, rel(from), backing, rel(to), 0) == -1 ? -errno : 0; }

static int slow_rename(const char *from, const char *to, unsigned int flags) {
  if (flags) return -EINVAL;
  return renameat(backing, rel(from), backing, rel(to)) == -1 ? -errno : 0;
}

static int slow_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
  int r = fi ? fchmod((int)fi->fh, mode) : fchmodat(backing, rel(path), mode, 0);
  return r == -1 ? -errno : 0;
}

static int slow_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
  int r = fi ? fchown((int)fi->fh, uid, gid) : fchownat(backing, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);
  return r == -1 ? -errno : 0;
}

static int slow_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  if (fi) return ftruncate((int)fi->fh, size) == -1 ? -errno : 0;
  int fd = openat(backing, rel(path), O_WRONLY);
  if (fd == -1) return -errno;
  int r = ftruncate(fd, size) == -1 ? -errno : 0;
  close(fd);
  return r;
}

static int slow_utimens(const char *path, const struct timespec ts[2], struct fuse_file_info *fi) {
  int r = fi ? futimens((int)fi->fh, ts) : utimensat(backing, rel(path), ts, AT_SYMLINK_NOFOLLOW);
  return r == -1 ? -errno : 0;
}

static int slow_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  int fd = openat(backing, rel(path), fi->flags, mode);
  if (fd == -1) return -errno;
  fi->fh = (uint64_t)fd;
  return 0;
}

static int slow_open(const char *path, struct fuse_file_info *fi) {
  int fd = openat(backing, rel(path), fi->flags);
  if (fd == -1) return -errno;
  fi->fh = (uint64_t)fd;
  return 0;
}

static int slow_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  ssize_t n = pread((int)fi->fh, buf, size, off);
  return n == -1 ? -errno : (int)n;
}

static int slow_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  uint64_t t0 = now_ns();
  // O_APPEND writers: the kernel already turned the append into an offset
  ssize_t n = pwrite((int)fi->fh, buf, size, off);
  if (n == -1) return -errno;
  pthread_mutex_lock(&mu);
  uint64_t rate = rate_bps, lat = latency_us, done = now_ns();
  if (rate) {
    // the clock may run up to BURST_NS behind now: a writer that pauses between writes (to read
    // and format, as a single-threaded daemon does) still gets the whole rate, as from a device
    // with a queue; a writer that never pauses is held to the rate exactly
    uint64_t floor = t0 > BURST_NS ? t0 - BURST_NS : 0;
    uint64_t start = next_free_ns > floor ? next_free_ns : floor;
    next_free_ns = start + (uint64_t)n * 1000000000ull / rate;
    done = next_free_ns;
  }
  pthread_mutex_unlock(&mu);
  done += lat * 1000ull;
  uint64_t before_wait = now_ns();
  if (done > before_wait) sleep_until(done);
  uint64_t t1 = now_ns();
  uint64_t us = (t1 - t0) / 1000ull;
  pthread_mutex_lock(&mu);
  n_writes++;
  n_bytes += (uint64_t)n;
  sum_us += us;
  sum_wait_us += t1 > before_wait ? (t1 - before_wait) / 1000ull : 0;
  if (us < win_min_us) win_min_us = us;
  if (us > win_max_us) win_max_us = us;
  pthread_mutex_unlock(&mu);
  return (int)n;
}

static int slow_statfs(const char *path, struct statvfs *st) {
  (void)path;
  return fstatvfs(backing, st) == -1 ? -errno : 0;
}

static int slow_flush(const char *path, struct fuse_file_info *fi) {
  (void)path;
  // close(dup()) flushes without closing the file we still hold
  int fd = dup((int)fi->fh);
  if (fd == -1) return -errno;
  return close(fd) == -1 ? -errno : 0;
}

static int slow_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  close((int)fi->fh);
  return 0;
}

static int slow_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path;
  int r = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
  return r == -1 ? -errno : 0;
}

static int slow_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
  (void)path;
  if (mode) return -EOPNOTSUPP;
  return -posix_fallocate((int)fi->fh, off, len);
}

static const struct fuse_operations ops = {
  .init = slow_init, .getattr = slow_getattr, .access = slow_access, .readlink = slow_readlink,
  .readdir = slow_readdir, .mkdir = slow_mkdir, .unlink = slow_unlink, .rmdir = slow_rmdir,
  .symlink = slow_symlink, .link = slow_link, .rename = slow_rename, .chmod = slow_chmod,
  .chown = slow_chown, .truncate = slow_truncate, .utimens = slow_utimens, .create = slow_create,
  .open = slow_open, .read = slow_read, .write = slow_write, .statfs = slow_statfs,
  .flush = slow_flush, .release = slow_release, .fsync = slow_fsync, .fallocate = slow_fallocate,
};

static void *control(void *arg) {
  (void)arg;
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    unsigned long long r = 0, l = 0;
    if (sscanf(line, "set %llu %llu", &r, &l) == 2) {
      pthread_mutex_lock(&mu);
      rate_bps = r;
      latency_us = l;
      next_free_ns = now_ns();
      pthread_mutex_unlock(&mu);
      printf("{\"ok\":true}\n");
    } else if (strncmp(line, "stats", 5) == 0) {
      pthread_mutex_lock(&mu);
      printf("{\"writes\":%llu,\"bytes\":%llu,\"sumUs\":%llu,\"waitUs\":%llu,\"minUs\":%lld,\"maxUs\":%llu,\"rate\":%llu,\"latencyUs\":%llu}\n",
             (unsigned long long)n_writes, (unsigned long long)n_bytes, (unsigned long long)sum_us, (unsigned long long)sum_wait_us,
             win_min_us == UINT64_MAX ? -1ll : (long long)win_min_us, (unsigned long long)win_max_us,
             (unsigned long long)rate_bps, (unsigned long long)latency_us);
      win_min_us = UINT64_MAX;
      win_max_us = 0;
      pthread_mutex_unlock(&mu);
    } else {
      printf("{\"ok\":false,\"error\":\"unknown command\"}\n");
    }
    fflush(stdout);
  }
  pthread_mutex_lock(&mu);
  rate_bps = 0;
  latency_us = 0;
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: slowfs BACKING_DIR MOUNTPOINT\n");
    return 2;
  }
  backing = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (backing == -1) { perror(argv[1]); return 1; }
  umask(0);
  pthread_t th;
  pthread_create(&th, NULL, control, NULL);
  pthread_detach(th);
  // foreground, multi-threaded; root mounts it for root's daemons (allow_other: any uid)
  char *fargv[] = { argv[0], "-f", "-o", "allow_other,default_permissions,fsname=auditstorm-slowfs,subtype=slowfs,max_threads=16", argv[2], NULL };
  return fuse_main(5, fargv, &ops, NULL);
}
