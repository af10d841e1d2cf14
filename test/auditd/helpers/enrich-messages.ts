// User-space audit messages that reach the corners of auditd's ENRICHED format: the kernel logs
// each as `pid= uid= auid= ses= msg='TEXT'`, and auparse reads the fields inside TEXT like any
// other. Fields 2..5 are pid, uid, auid, ses, so the first field of TEXT is field 6 (a0's
// position) and the sixth is field 11 (arch in SECCOMP's layout), the seventh field 12 (syscall).
// Used by the reference capture from Debian's auditd (test/fixtures/enriched/) and by the
// end-to-end test, which sends the same messages to tsauditd.

const fill = 'f1=x f2=x f3=x f4=x';
const sin6 = (port: string, addr: string, scope: string) => `0A00${port}00000000${addr}${scope}`;

export const ENRICH_MESSAGES: ReadonlyArray<{ type: number; text: string; what: string }> = [
  { type: 1005, what: 'i386 socketcall(connect): a0 at field 6, arch and syscall at 11 and 12', text: `a0=3 ${fill} arch=40000003 syscall=102 res=1` },
  { type: 1005, what: 'i386 ipc(shmget)', text: `a0=17 ${fill} arch=40000003 syscall=117` },
  { type: 1005, what: 'unknown arch, syscall named for the detected machine', text: `a0=0 ${fill} arch=deadbeef syscall=257` },
  { type: 1005, what: 'x86_64 syscall with no name', text: `a0=0 ${fill} arch=c000003e syscall=4000` },
  { type: 1005, what: 'IPv4-mapped IPv6', text: `saddr=${sin6('0050', '00000000000000000000FFFF7F000001', '00000000')}` },
  { type: 1005, what: 'IPv6 with zero runs and a scope', text: `saddr=${sin6('01BB', '20010DB8000000000001000000000001', '07000000')}` },
  { type: 1005, what: 'abstract unix, netlink, short inet, unknown and unsupported families', text: 'saddr=010000616263 saddr=100000003930000000000000 saddr=0200 saddr=FFFF0000 saddr=11000300' },
  { type: 1005, what: 'ids: named, unset, -1, out of range, gid fields', text: 'id=1 ouid=4294967295 iuid=-1 sauid=99999999999999999999999 obj_gid=1 new_gid=65534 inode_gid=4242' },
  { type: 1005, what: 'a GS in the text ends what auparse sees', text: 'uid=1 \x1d gid=1' },
  { type: 1005, what: 'an embedded newline is a space', text: 'ouid=1\nogid=1' },
  { type: 1005, what: 'trailing punctuation and virtual keys', text: 'uid=1, gid=1: key=6B31016B32 ouid=(none) ogid=1)' },
  { type: 1107, what: 'USER_AVC: saddr is interpreted (only AVC drops it)', text: 'avc:  denied  { read write } for pid=1 uid=1 saddr=020000507F000001FFFFFFFFFFFFFFFF' },
  { type: 1116, what: 'ADD_GROUP: id is a gid', text: 'op=add-group id=1 acct="daemon" res=success' },
  { type: 1121, what: 'TRUSTED_APP: nothing is interpreted', text: 'uid=1 arch=c000003e' },
  { type: 1005, what: 'near the line limit: fields added while room is left, line cut at 8969', text: Array.from({ length: 1400 }, () => 'uid=1').join(' ') },
];
