// Not committed: times processPurge (this tree or /work/main's build) on N messages of two jobs.
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
const [which, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 20000);
const base = which === 'old' ? '/work/main/packages' : '/work/wt-ops16/packages';
const q = await import(`${base}/queue/dist/index.js`);
const { processPurge } = await import(`${base}/delivery/dist/worker/purge.js`);
const t = await getTestRedis();
const prefix = t.prefix.slice(0, -1);
const redis = new Redis(t.url);
const store = new q.MessageStore(redis, { prefix });
const ops = new q.QueueOps(redis, prefix);
const queue = 'm.example/mta1';
await redis.hset(ops.keys.queueState(queue), 'mode', 'paused');
const t0 = performance.now();
const inflight = new Set();
for (let i = 0; i < n; i++) {
  const p = store.enqueue({ mailFrom: i % 4 === 1 ? 'spam@s.example' : 'a@s.example', recipients: [{ address: `r${i}@m.example`, domain: 'm.example' }], body: Buffer.from('Subject: x\r\n\r\n' + 'y'.repeat(2048) + '\r\n'), vmta: 'mta1', source: { ip: '127.0.0.9', listener: 'l', heloName: 'h.example' }, receivedAt: Date.now(), job: i % 2 === 0 ? 'job-a' : 'job-b' });
  inflight.add(p); p.finally(() => inflight.delete(p));
  if (inflight.size >= 256) await Promise.race(inflight);
}
await Promise.all(inflight);
console.error(`enqueued ${n} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const log = { info() {}, warn() {}, debug() {}, error() {}, child() { return log; } };
const deps = { store, ops, log };
const run = async (filter) => {
  await redis.config('SET', 'slowlog-log-slower-than', '1000');
  await redis.config('SET', 'slowlog-max-len', '100000');
  await redis.slowlog('RESET');
  await redis.config('RESETSTAT');
  const cpu0 = Number(/used_cpu_sys:([\d.]+)/.exec(await redis.info('cpu'))[1]) + Number(/used_cpu_user:([\d.]+)/.exec(await redis.info('cpu'))[1]);
  const job = { data: { queue, domain: 'm.example', vmta: 'mta1', slot: -100 - Math.floor(Math.random() * 1000), kind: 'purge', dsn: false, before: Date.now(), filter }, timestamp: Date.now(), moveToDelayed: async () => {} };
  const s = performance.now();
  let deleted;
  try { deleted = await processPurge(job, undefined, deps); } catch (e) { if (e.name !== 'DelayedError') throw e; deleted = '(delayed)'; }
  const secs = (performance.now() - s) / 1000;
  const info = await redis.info('cpu');
  const cpu1 = Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)[1]);
  const slow = await redis.slowlog('GET', 100000);
  const max = slow.reduce((m, e) => Math.max(m, e[2]), 0);
  const stats = await redis.info('commandstats');
  const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(stats);
  const left = await redis.zcard(ops.keys.queueAge(queue));
  console.log(JSON.stringify({ which, filter, deleted, seconds: +secs.toFixed(2), perSecond: Math.round((typeof deleted === 'number' ? deleted : 0) / secs), redisCpuS: +(cpu1 - cpu0).toFixed(2), slowCount: slow.length, slowMaxMs: max / 1000, evalsha: evalsha ? { calls: +evalsha[1], usecPerCall: +evalsha[3] } : null, leftInQueue: left, load: (await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ') }));
};
await run({ job: 'job-a' });
await run({ orig: 'spam@s.example' });
await run(undefined);
redis.disconnect();
await store.dispatcher.close();
await t.cleanup?.();
process.exit(0);
