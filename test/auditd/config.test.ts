import t from 'tap';
import { ConfigError, IGNORED_AUDITD_KEYS, lwmBytes, parseConfig } from '../../auditd/config.ts';

const parse = (text: string) => parseConfig(text, '/etc/ts/auditd.conf', '/etc/ts');

t.test('defaults and auditd syntax', async (t) => {
  const c = parse('# comment\n\nflush = INCREMENTAL_ASYNC\nfreq=20\nlog_format = RAW\nlog_file = logs/audit.log\nspace_left = 25%\n');
  t.equal(c.flush, 'incremental_async');
  t.equal(c.freq, 20);
  t.equal(c.logFile, '/etc/ts/logs/audit.log', 'relative paths are under the config dir');
  t.same(c.spaceLeft, { value: 25, percent: true });
  t.equal(c.queueOverflow, 'block');
  t.equal(c.queueLwm, c.queueHwm / 2, 'lwm defaults to half the hwm');
  t.equal(c.oomScoreAdj, -1000);
  t.equal(c.statsFile, '/etc/ts/tsauditd.stats.json');
});

t.test('our keys', async (t) => {
  const c = parse('queue_hwm = 1000\nqueue_lwm = 100\nqueue_hwm_bytes = 4M\nqueue_overflow = drop\noom_score_adj = keep\nrecv_buffer_bytes = 1M\n');
  t.equal(c.queueHwm, 1000);
  t.equal(c.queueHwmBytes, 4 * 1024 * 1024);
  t.equal(lwmBytes(c), Math.floor((4 * 1024 * 1024 * 100) / 1000));
  t.equal(c.queueOverflow, 'drop');
  t.equal(c.oomScoreAdj, null);
  t.equal(c.recvBufferBytes, 1024 * 1024);
});

t.test('auditd keys we ignore load without error', async (t) => {
  const c = parse(IGNORED_AUDITD_KEYS.map((k) => `${k} = x`).join('\n'));
  t.equal(c.flush, 'incremental_async');
  t.equal(c.logFormat, 'raw');
  t.equal(parse('').logFormat, 'raw', 'RAW when log_format is not set (see docs/tsauditd.md)');
  t.equal(parse('log_format = ENRICHED').logFormat, 'enriched', "auditd's shipped setting");
});

t.test('errors name file:line and the reason', async (t) => {
  t.throws(() => parse('flush = none\nbogus = 1\n'), { name: 'ConfigError', message: /^\/etc\/ts\/auditd.conf:2: unknown keyword "bogus"/ });
  t.throws(() => parse('freq = lots'), /auditd.conf:1: freq: "lots" is not an integer/);
  t.throws(() => parse('flush = sometimes'), /auditd.conf:1: flush: "sometimes" is not one of none \| incremental/);
  t.throws(() => parse('log_format = NOLOG'), /auditd.conf:1: log_format: "NOLOG" is not one of raw \| enriched \(for no log, write_logs = no\)/);
  t.throws(() => parse('queue_hwm = 100\nqueue_lwm = 100'), /auditd.conf:2: queue_lwm \(100\) must be below queue_hwm/);
  t.throws(() => parse('flush = none\nflush = data'), /auditd.conf:2: flush is set twice \(first on line 1\)/);
  t.throws(() => parse('space_left_action = email'), /does not implement email/);
  t.throws(() => parse('disk_error_action = rotate'), /does not apply to disk errors/);
  t.throws(() => parse('just words'), /auditd.conf:1: "just words" is not "key = value"/);
  t.throws(() => parse('queue_hwm_bytes = 10'), /smaller than the minimum/);
  t.throws(() => parse('space_left = 120%'), /more than 100%/);
  const e = (() => { try { parse('x = 1'); } catch (err) { return err; } })();
  t.ok(e instanceof ConfigError);
  t.equal((e as ConfigError).line, 1);
});

t.test('paced intake keys; the receive buffer is checked before it reaches the native code', async (t) => {
  const c = parse('queue_reserve = 1000\nqueue_reserve_bytes = 2M\nqueue_full_action = suspend\nqueue_floor_ms = 10\nqueue_overflow = pause\n');
  t.equal(c.queueReserve, 1000);
  t.equal(c.queueReserveBytes, 2 * 1024 * 1024);
  t.equal(c.queueFullAction, 'suspend');
  t.equal(c.queueFloorMs, 10);
  t.equal(c.queueOverflow, 'pause');
  t.equal(parse('').queueFullAction, 'drop', 'default: drop whole events, counted');
  t.throws(() => parse('queue_full_action = stop'), /auditd.conf:1: queue_full_action: "stop" is not one of drop \| suspend \| halt \| keep/);
  t.throws(() => parse('queue_floor_ms = 100'), /out of range 1\.\.80/);
  t.equal(parse('recv_buffer_bytes = 1G').recvBufferBytes, 2 ** 30);
  t.throws(() => parse('recv_buffer_bytes = 2G'), /auditd.conf:1: recv_buffer_bytes: 2G is more than the kernel accepts for a socket receive buffer/, '2^31 would wrap to a negative int');
  t.throws(() => parse('recv_buffer_bytes = 4294967296'), /more than the kernel accepts/);
});
