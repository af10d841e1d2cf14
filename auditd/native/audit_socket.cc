// tsauditd's event socket: a NETLINK_AUDIT socket that can stop reading without dying.
//
// Why not the `netlink` package: its reader lives on libuv's poll watcher; after the kernel
// overruns the receive buffer the watcher reports an error and the binding throws out of a libuv
// callback, which aborts the process. Here there is no watcher: the input worker thread calls
// recvBatch() when it wants records and paces how many it takes. Every failure is
// a returned/thrown JS Error (NAPI_DISABLE_CPP_EXCEPTIONS: we never throw C++ exceptions).
//
// API (one object per socket):
//   new AuditSocket(rcvbufBytes)      open + bind + NETLINK_NO_ENOBUFS + SO_RCVBUFFORCE
//   send(buf) -> bytes                one datagram to the kernel (port 0)
//   recvBatch(buf, slotSize, maxMsgs, lengths, flags, timeoutMs) -> count (0 on timeout)
//        datagram i lands at buf[i*slotSize]; lengths[i] = datagram length (NOT nlmsg_len:
//        the kernel sets nlmsg_len of unicast audit records to the payload length);
//        flags[i] = msg_flags (MSG_TRUNC 0x20) | 0x40000000 if the sender was not the kernel.
//   wait(timeoutMs, watchSocket) -> 0 timeout | 1 socket readable | 2 woken | 3 both
//        poll() on the socket (when watchSocket) and the wake eventfd; -1 waits forever. A wake
//        (any thread writing a u64 to wakeFd()) is consumed here. This is how the input thread
//        sleeps with nothing to read and still hears a stop or new credit at once.
//   meminfo() -> [rmemAlloc, rcvbuf, drops]   SO_MEMINFO: unread bytes, buffer size, the
//        socket's drop counter (each kernel send that timed out on a full buffer)
//   setRcvbuf(n), rcvbuf() -> n, portId() -> n, close(keepWakeFd), fd() -> n, wakeFd() -> n
#include <napi.h>

#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

static const uint32_t FLAG_FOREIGN_SENDER = 0x40000000u;
// SO_RCVBUF(FORCE) takes an int and the kernel doubles it, capping at INT_MAX/2.
static const double MAX_RCVBUF = 1073741824.0;

static Napi::Error ErrnoError(Napi::Env env, const char* what, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, what));
  return e;
}

static int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// poll() that keeps its deadline across signals: restarting with the whole timeout after each
// EINTR never ends under a steady signal (a sampling profiler's SIGPROF every millisecond).
static int PollUntil(struct pollfd* p, nfds_t n, int timeout) {
  const int64_t deadline = timeout > 0 ? MonotonicMs() + timeout : 0;
  for (;;) {
    int pr = poll(p, n, timeout);
    if (pr >= 0 || errno != EINTR) return pr;
    if (timeout > 0) {
      int64_t left = deadline - MonotonicMs();
      timeout = left > 0 ? (int)left : 0;
    }
  }
}

class AuditSocket : public Napi::ObjectWrap<AuditSocket> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "AuditSocket", {
      InstanceMethod("send", &AuditSocket::Send),
      InstanceMethod("recvBatch", &AuditSocket::RecvBatch),
      InstanceMethod("setRcvbuf", &AuditSocket::SetRcvbuf),
      InstanceMethod("rcvbuf", &AuditSocket::Rcvbuf),
      InstanceMethod("portId", &AuditSocket::PortId),
      InstanceMethod("fd", &AuditSocket::Fd),
      InstanceMethod("close", &AuditSocket::Close),
      InstanceMethod("wait", &AuditSocket::Wait),
      InstanceMethod("wakeFd", &AuditSocket::WakeFd),
      InstanceMethod("meminfo", &AuditSocket::Meminfo),
      InstanceMethod("boostThread", &AuditSocket::BoostThread),
    });
    exports.Set("AuditSocket", cls);
    return exports;
  }

  explicit AuditSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AuditSocket>(info) {
    Napi::Env env = info.Env();
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (fd_ < 0) { ErrnoError(env, "socket", errno).ThrowAsJavaScriptException(); return; }
    struct sockaddr_nl addr;
    memset(&addr, 0, sizeof addr);
    addr.nl_family = AF_NETLINK;
    if (bind(fd_, (struct sockaddr*)&addr, sizeof addr) < 0) {
      int err = errno; ::close(fd_); fd_ = -1;
      ErrnoError(env, "bind", err).ThrowAsJavaScriptException(); return;
    }
    socklen_t alen = sizeof addr;
    if (getsockname(fd_, (struct sockaddr*)&addr, &alen) == 0) port_ = addr.nl_pid;
    // Without this a full receive buffer makes the next recv fail with ENOBUFS; with it the
    // kernel keeps the record on its retry queue and counts a loss only past backlog_limit.
    int one = 1;
    if (setsockopt(fd_, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one) < 0) {
      int err = errno; ::close(fd_); fd_ = -1;
      ErrnoError(env, "setsockopt(NETLINK_NO_ENOBUFS)", err).ThrowAsJavaScriptException(); return;
    }
    efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd_ < 0) {
      int err = errno; ::close(fd_); fd_ = -1;
      ErrnoError(env, "eventfd", err).ThrowAsJavaScriptException(); return;
    }
    if (info.Length() > 0 && info[0].IsNumber()) {
      double d = info[0].As<Napi::Number>().DoubleValue();
      if (!(d >= 0 && d <= MAX_RCVBUF)) {
        ::close(fd_); fd_ = -1; ::close(efd_); efd_ = -1;
        Napi::RangeError::New(env, "receive buffer size must be 0..1073741824 bytes (the kernel caps at INT_MAX/2)")
            .ThrowAsJavaScriptException();
        return;
      }
      int n = (int)d;
      if (n > 0 && !ApplyRcvbuf(n)) {
        int err = errno; ::close(fd_); fd_ = -1;
        ErrnoError(env, "setsockopt(SO_RCVBUFFORCE)", err).ThrowAsJavaScriptException(); return;
      }
    }
  }

  ~AuditSocket() override {
    if (fd_ >= 0) ::close(fd_);
    if (efd_ >= 0 && !keepWake_) ::close(efd_);
  }

 private:
  int fd_ = -1;
  int efd_ = -1;
  bool keepWake_ = false;
  uint32_t port_ = 0;
  std::vector<struct mmsghdr> msgs_;
  std::vector<struct iovec> iovs_;
  std::vector<struct sockaddr_nl> addrs_;

  bool ApplyRcvbuf(int n) {
    // FORCE needs CAP_NET_ADMIN but ignores rmem_max; fall back to the capped variant.
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof n) == 0) return true;
    return setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &n, sizeof n) == 0;
  }

  bool CheckOpen(Napi::Env env) {
    if (fd_ >= 0) return true;
    Napi::Error::New(env, "audit socket is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "send(buffer): buffer must be a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
    struct sockaddr_nl dst;
    memset(&dst, 0, sizeof dst);
    dst.nl_family = AF_NETLINK;  // nl_pid 0: the kernel
    ssize_t n;
    do {
      n = sendto(fd_, buf.Data(), buf.ByteLength(), 0, (struct sockaddr*)&dst, sizeof dst);
    } while (n < 0 && errno == EINTR);
    if (n < 0) { ErrnoError(env, "sendto", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
    return Napi::Number::New(env, (double)n);
  }

  // recvBatch(buf, slotSize, maxMsgs, lengths:Uint32Array, flags:Uint32Array, timeoutMs)
  Napi::Value RecvBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsTypedArray() || !info[4].IsTypedArray() || !info[5].IsNumber()) {
      Napi::TypeError::New(env, "recvBatch(buf, slotSize, maxMsgs, lengths, flags, timeoutMs)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
    uint32_t slot = info[1].As<Napi::Number>().Uint32Value();
    uint32_t max = info[2].As<Napi::Number>().Uint32Value();
    Napi::Uint32Array lengths = info[3].As<Napi::Uint32Array>();
    Napi::Uint32Array flags = info[4].As<Napi::Uint32Array>();
    int timeout = info[5].As<Napi::Number>().Int32Value();
    if (slot == 0 || max == 0 || (size_t)slot * max > buf.ByteLength() || lengths.ElementLength() < max ||
        flags.ElementLength() < max) {
      Napi::RangeError::New(env, "recvBatch: buffer or length arrays smaller than slotSize * maxMsgs")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // timeout 0: no poll, the non-blocking recvmmsg says EAGAIN itself (one syscall per read)
    if (timeout != 0) {
      struct pollfd p = {fd_, POLLIN, 0};
      int pr;
      pr = PollUntil(&p, 1, timeout);
      if (pr < 0) { ErrnoError(env, "poll", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
      if (pr == 0) return Napi::Number::New(env, 0);
    }

    if (msgs_.size() < max) { msgs_.resize(max); iovs_.resize(max); addrs_.resize(max); }
    uint8_t* base = buf.Data();
    for (uint32_t i = 0; i < max; i++) {
      iovs_[i].iov_base = base + (size_t)i * slot;
      iovs_[i].iov_len = slot;
      memset(&msgs_[i], 0, sizeof msgs_[i]);
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
      msgs_[i].msg_hdr.msg_name = &addrs_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof addrs_[i];
    }
    int n;
    do { n = recvmmsg(fd_, msgs_.data(), max, MSG_DONTWAIT, nullptr); } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, 0);
      // ENOBUFS cannot happen with NETLINK_NO_ENOBUFS, but if it does it is a count, not a death.
      ErrnoError(env, "recvmmsg", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint32_t* lp = lengths.Data();
    uint32_t* fp = flags.Data();
    for (int i = 0; i < n; i++) {
      lp[i] = msgs_[i].msg_len;
      uint32_t f = (uint32_t)msgs_[i].msg_hdr.msg_flags;
      if (addrs_[i].nl_pid != 0) f |= FLAG_FOREIGN_SENDER;
      fp[i] = f;
    }
    return Napi::Number::New(env, n);
  }

  Napi::Value SetRcvbuf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    double d = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    if (!(d >= 1 && d <= MAX_RCVBUF)) { Napi::RangeError::New(env, "setRcvbuf(bytes): bytes must be 1..1073741824").ThrowAsJavaScriptException(); return env.Undefined(); }
    int n = (int)d;
    if (!ApplyRcvbuf(n)) { ErrnoError(env, "setsockopt(SO_RCVBUF)", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
    return Rcvbuf(info);
  }

  Napi::Value Rcvbuf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int v = 0;
    socklen_t l = sizeof v;
    if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &v, &l) < 0) { ErrnoError(env, "getsockopt(SO_RCVBUF)", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
    return Napi::Number::New(env, v);
  }

  Napi::Value PortId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), port_); }
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  // close(keepWakeFd): with true the eventfd stays open; the thread that writes to it closes it
  // once it knows no wake can come (so a late wake never hits a reused descriptor).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    bool keep = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
    if (fd_ >= 0) { ::close(fd_); fd_ = -1; }
    if (efd_ >= 0) {
      if (keep) keepWake_ = true;
      else { ::close(efd_); efd_ = -1; }
    }
    return info.Env().Undefined();
  }

  Napi::Value WakeFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), efd_); }

  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int timeout = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
    bool watchSocket = !(info.Length() > 1 && info[1].IsBoolean()) || info[1].As<Napi::Boolean>().Value();
    struct pollfd p[2];
    int n = 0;
    p[n++] = {efd_, POLLIN, 0};
    if (watchSocket) p[n++] = {fd_, POLLIN, 0};
    int pr;
    pr = PollUntil(p, n, timeout);
    if (pr < 0) { ErrnoError(env, "poll", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
    int r = 0;
    if (p[0].revents & POLLIN) {
      uint64_t v;
      while (read(efd_, &v, sizeof v) == (ssize_t)sizeof v) {}
      r |= 2;
    }
    if (watchSocket && (p[1].revents & (POLLIN | POLLERR))) r |= 1;
    return Napi::Number::New(env, r);
  }

  // boostThread(n): lower the calling thread's nice value by n (auditd's priority_boost), so a
  // busy machine does not keep the reader off the CPU for the 100 ms kauditd waits. Returns the
  // new nice value, or throws (EACCES without CAP_SYS_NICE).
  Napi::Value BoostThread(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int n = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    if (n < 0 || n > 20) { Napi::RangeError::New(env, "boostThread(n): n must be 0..20").ThrowAsJavaScriptException(); return env.Undefined(); }
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, tid);
    if (cur == -1 && errno != 0) { ErrnoError(env, "getpriority", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
    int want = cur - n < -20 ? -20 : cur - n;
    if (n > 0 && setpriority(PRIO_PROCESS, tid, want) < 0) { ErrnoError(env, "setpriority", errno).ThrowAsJavaScriptException(); return env.Undefined(); }
    return Napi::Number::New(env, n > 0 ? want : cur);
  }

  Napi::Value Meminfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    uint32_t mem[SK_MEMINFO_VARS];
    memset(mem, 0, sizeof mem);
    socklen_t l = sizeof mem;
    if (getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, mem, &l) < 0) {
      ErrnoError(env, "getsockopt(SO_MEMINFO)", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Array a = Napi::Array::New(env, 3);
    a.Set((uint32_t)0, Napi::Number::New(env, mem[SK_MEMINFO_RMEM_ALLOC]));
    a.Set((uint32_t)1, Napi::Number::New(env, mem[SK_MEMINFO_RCVBUF]));
    a.Set((uint32_t)2, Napi::Number::New(env, l > SK_MEMINFO_DROPS * sizeof(uint32_t) ? mem[SK_MEMINFO_DROPS] : 0));
    return a;
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) { return AuditSocket::Init(env, exports); }
NODE_API_MODULE(audit_socket, Init)
