// JSON-lines logs through the LogFormat interface: a record a line (the daemon's own field names)
// and an event a line (go-audit's shape: sequence, timestamp, messages[{type, data}]) count the
// same events as the RAW log they were made from; a fixture that drops one event and writes one
// twice is caught by exactly one each; malformed lines are counted, never guessed.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanLogFiles as scanDaemonLog } from '../../../harness/verdict/log-events.ts';
import { RAW } from '../../../harness/verdict/log-format.ts';
import { jsonLinesFormat } from '../../../harness/verdict/log-format-json.ts';
import { validateScenario, SCENARIOS_DIR } from '../../../harness/scenario/load-scenario.ts';

const AUID = 4200000123;
const dir = mkdtempSync(join(tmpdir(), 'jsonlog-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

interface Ev { serial: number; sec: number; pid: number }
const events: Ev[] = Array.from({ length: 50 }, (_, i) => ({ serial: 1000 + i, sec: 1700000000 + Math.floor(i / 10), pid: 4242 }));
const syscall = (e: Ev) => `arch=c000003e syscall=257 success=yes exit=3 items=1 ppid=1 pid=${e.pid} auid=${AUID} uid=0 comm="node"`;
const path = () => 'item=0 name="/tmp/x" inode=1 nametype=NORMAL';
const proctitle = () => 'proctitle=6E6F6465';

function writeRaw(file: string, evs: Ev[]): void {
  const lines = evs.flatMap((e) => [
    `type=SYSCALL msg=audit(${e.sec}.000:${e.serial}): ${syscall(e)}`,
    `type=PATH msg=audit(${e.sec}.000:${e.serial}): ${path()}`,
    `type=PROCTITLE msg=audit(${e.sec}.000:${e.serial}): ${proctitle()}`,
  ]);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

function writeGoAudit(file: string, evs: Ev[]): void {
  writeFileSync(file, `${evs.map((e) => JSON.stringify({
    sequence: e.serial, timestamp: `${e.sec}.000`,
    messages: [{ type: 1300, data: syscall(e) }, { type: 1302, data: path() }, { type: 1327, data: proctitle() }],
  })).join('\n')}\n`);
}

function writeRecordPerLine(file: string, evs: Ev[]): void {
  const fields = (s: string) => Object.fromEntries(s.split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, /^\d+$/.test(v!) ? Number(v) : v!.replace(/"/g, '')]));
  writeFileSync(file, `${evs.flatMap((e) => [
    { id: `${e.sec}.000:${e.serial}`, record_type: 'SYSCALL', ...fields(syscall(e)) },
    { id: `${e.sec}.000:${e.serial}`, record_type: 'PATH', ...fields(path()) },
    { id: `${e.sec}.000:${e.serial}`, record_type: 'PROCTITLE', ...fields(proctitle()) },
  ]).map((o) => JSON.stringify(o)).join('\n')}\n`);
}

const GO_AUDIT = { serial: 'sequence', time: 'timestamp', records: 'messages', type: 'type', body: 'data' };
const PER_RECORD = { serial: 'id', type: 'record_type' };

t.test('JSON lines count what the RAW log counts', async (t) => {
  writeRaw(join(dir, 'raw.log'), events);
  writeGoAudit(join(dir, 'go.jsonl'), events);
  writeRecordPerLine(join(dir, 'rec.jsonl'), events);
  const raw = await scanDaemonLog([join(dir, 'raw.log')], { auid: AUID, format: RAW });
  const go = await scanDaemonLog([join(dir, 'go.jsonl')], { auid: AUID, format: jsonLinesFormat(GO_AUDIT) });
  const rec = await scanDaemonLog([join(dir, 'rec.jsonl')], { auid: AUID, format: jsonLinesFormat(PER_RECORD) });
  t.equal(raw.events, 50);
  for (const [name, s] of [['event a line', go], ['record a line', rec]] as const) {
    t.equal(s.events, raw.events, `${name}: events`);
    t.equal(s.complete, raw.complete, `${name}: complete`);
    t.equal(s.malformedLines, 0, `${name}: no malformed line`);
  }
});

t.test('a JSON log that drops one event and writes one twice is caught by exactly that', async (t) => {
  const lying = [...events.filter((e) => e.serial !== 1007), events[20]!];
  writeGoAudit(join(dir, 'lying.jsonl'), lying);
  const s = await scanDaemonLog([join(dir, 'lying.jsonl')], { auid: AUID, format: jsonLinesFormat(GO_AUDIT) });
  t.equal(s.events, 49, 'one event missing');
  t.equal(s.duplicates, 1, 'one event written twice');
});

t.test('lines that are not records are counted as malformed, not read in part', async (t) => {
  const f = jsonLinesFormat(GO_AUDIT);
  t.equal(f.parse('not json'), null);
  t.equal(f.parse('[1,2]'), null);
  t.equal(f.parse(JSON.stringify({ sequence: 5, messages: [{ type: 1300, data: 'a=1' }, { data: 'no type' }] })), null, 'one bad record: the line is not read');
  t.equal(f.parse(JSON.stringify({ sequence: -1, messages: [{ type: 1300, data: 'a=1' }] })), null, 'a negative serial');
  t.match(jsonLinesFormat(PER_RECORD).parse(JSON.stringify({ id: '1700000000.123:77', record_type: 1300, auid: 5 })), { serial: 77, sec: 1700000000, type: 'SYSCALL', body: 'auid=5' });
});

t.test('the scenario names the fields; log_format json without them is refused', async (t) => {
  const base = (daemon: string) => `name: j\ndescription: d\nduration: 5s\nrules: openat-storm.rules\ndaemon:\n${daemon}\nloads: [{generator: open-close}]\n`;
  const opts = { path: join(SCENARIOS_DIR, 'j.yaml'), checkRulesFile: false };
  const s = validateScenario(base('  name: command\n  command: x @LOG@\n  log_format: json\n  json: {serial: sequence, time: timestamp, records: messages, type: type, body: data}'), opts);
  t.same(s.daemon.json, GO_AUDIT);
  t.throws(() => validateScenario(base('  name: command\n  command: x\n  log_format: json'), opts), /daemon\.json: required with log_format json/);
  t.throws(() => validateScenario(base('  name: command\n  command: x\n  json: {serial: a, type: b}'), opts), /only with log_format json/);
});
