/** Command line of `pnpm bench`. */
import path from 'node:path';
import { parseArgs } from 'node:util';

export const SCENARIOS = ['e2e', 'senders', 'queues', 'million', 'dkim', 'suppress', 'ops', 'replication', 'redis-cost', 'capacity'] as const;
/** The loads of the senders scenario. */
export const SENDER_LOADS = ['reused', 'per-connection', 'submission', 'fanout', 'size-mix', 'many-domains', 'slow-sink'] as const;
export type SenderLoadName = (typeof SENDER_LOADS)[number];
/** The MTAs the senders scenario compares. */
export const MTAS = ['postfix', 'haraka', 'vmta'] as const;
export type Mta = (typeof MTAS)[number];
export type Scenario = (typeof SCENARIOS)[number];
export type Fsync = 'always' | 'everysec';

export interface BenchOptions {
  scenarios: Scenario[];
  /** Messages per e2e run (smtp-source -m). */
  messages: number;
  /** How many times the e2e measurement (direct, Postfix, vmta) is repeated; the report shows medians. */
  runs: number;
  /** Messages of the slow-sink variant, and smtp-sink's delay (-w, whole seconds) before its reply to DATA. */
  slowMessages: number;
  slowDelaySeconds: number;
  /** Recipient domains of the many-domain variant (it sends `messages` messages). */
  manyDomains: number;
  /** Run the slow-sink and many-domain variants of e2e. */
  variants: boolean;
  /** Parallel SMTP sessions of the load generators. */
  sessions: number;
  /** Payload bytes per message (smtp-source -l). */
  size: number;
  /** Domains of the queues scenario, and how many of them cannot deliver. */
  domains: number;
  blocked: number;
  /** Seconds the queues scenario watches the blocked queues after the rest drained. */
  idleSeconds: number;
  /** Messages of the million scenario. */
  million: number;
  /** Addresses loaded into the suppression store by the suppress scenario. */
  suppressed: number;
  /** Messages of the ops scenario (operator tools on one big queue). */
  opsMessages: number;
  /** The million scenario stops enqueueing / draining after this many seconds and extrapolates. */
  enqueueBudgetSeconds: number;
  drainBudgetSeconds: number;
  fsync: Fsync;
  profile: boolean;
  quick: boolean;
  /** Loads of the senders scenario to run, and which MTAs. */
  senders: SenderLoadName[];
  mtas: Mta[];
  /** Warm-up messages of the senders scenario before each measured run; undefined: the default of warmupFor. */
  warmup?: number;
  /** Our CLI from another checkout (packages/cli/dist/main.js), e.g. to compare with an older build. */
  vmtaCli?: string;
  /** Only re-render BENCHMARKS.md from bench-results.json (after editing notes.md). */
  renderOnly: boolean;
  outDir: string;
}

export const WARMUP_DEFAULT = 1_000;
export const WARMUP_QUICK = 100;

/** Warm-up messages before a measured run of a load of `messages` messages: --warmup N as given, else the default capped at the load's count. */
export function warmupFor(opts: Pick<BenchOptions, 'warmup' | 'quick'>, messages: number): number {
  if (opts.warmup !== undefined) return opts.warmup;
  return Math.min(opts.quick ? WARMUP_QUICK : WARMUP_DEFAULT, messages);
}

export class UsageError extends Error {
  readonly code = 'BENCH_USAGE';
}

export const USAGE = `usage: pnpm bench [options]
  --scenario e2e|senders|queues|million|dkim|suppress|ops|replication|redis-cost|capacity|all   what to run (default all; repeatable)
  --senders LIST      loads of the senders scenario (default all: ${SENDER_LOADS.join(',')})
  --mtas LIST         MTAs of the senders scenario (default all: ${MTAS.join(',')})
  --vmta-cli PATH     run our MTA from another build (its packages/cli/dist/main.js)
  --warmup N          senders and e2e: N messages of the same load into every MTA before each measured run, not measured
                      (default ${WARMUP_DEFAULT}, or the load's own count if smaller; --quick: ${WARMUP_QUICK}); --warmup 0: cold runs;
                      e2e's slow-sink and many-domain variants stay cold
  --messages N        messages per end-to-end run (default 10000)
  --runs N            repeat the end-to-end runs and the queues drains N times, report medians (default 3; --quick: 1)
  --slow-messages N   messages of the slow-sink variant (default 2000), --slow-delay S its smtp-sink -w delay (default 1)
  --many-domains N    recipient domains of the many-domain variant (default 1000)
  --no-variants       skip the slow-sink and many-domain variants of e2e
  --suppressed N      addresses of the suppress scenario (default 10000000)
  --million N         messages of the million scenario (default 1000000)
  --ops-messages N    messages of the ops scenario: operator tools on one queue (default 100000)
  --enqueue-budget S  seconds the million scenario enqueues before extrapolating (default 420)
  --drain-budget S    seconds the million scenario drains before extrapolating (default 420)
  --domains N         domains of the queues scenario (default 10000), --blocked N of them blocked (default 1000)
  --idle-seconds S    how long the queues scenario watches the blocked queues (default 30)
  --sessions N        parallel SMTP sessions of the load (default 20), --size B payload bytes (default 10240)
  --fsync always|everysec   Redis appendfsync (default always: what \`vmta start\` ships)
  --no-profile        skip the --cpu-prof run of our processes
  --quick             small counts for a smoke run
  --render            run nothing: re-render BENCHMARKS.md from bench-results.json (e.g. after editing packages/bench/notes.md)
  --out DIR           where BENCHMARKS.md and bench-results.json go (default: the repo root)
environment: BENCH_VMTA_ARGS="--concurrency 20" adds arguments to every \`vmta start\` the bench runs;
  BENCH_BODY_COMPRESSION=zstd|deflate|none writes body-compression into our configuration (default: none written: zstd);
  BENCH_VMTA_LISTENER_PROCESSES=N|auto runs every listener of ours with --listener-processes N (its CPU is metered over its process tree);
  BENCH_VMTA_NODE_FLAGS="..." extra node flags for our listener and delivery processes in the senders scenario (trials);
  BENCH_VMTA_NODE=/path/to/node runs our processes on that Node binary instead of the bench's own (trials);
  redis-cost: BENCH_REDIS_COST_PATHS=one,many,fan,trickle-one,trickle-many runs only those paths,
  BENCH_REDIS_COST_MESSAGES=N messages of the one and many paths (default 400, 100 with --quick);
  senders submission: BENCH_SUBMISSION_CERT=rsa gives every MTA the RSA certificate alone (default rsa+ecdsa:
  an RSA and an ECDSA certificate each, the client getting the ECDSA one)`;

function count(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** A comma-separated subset of `all` (all of them when absent), in the order of `all`. */
function list<T extends string>(name: string, value: string | undefined, all: readonly T[]): T[] {
  if (value === undefined) return [...all];
  const names = value.split(',').filter(Boolean);
  for (const x of names) if (!(all as readonly string[]).includes(x)) throw new UsageError(`--${name} must be a list of ${all.join(', ')}, got "${x}"`);
  return all.filter((x) => names.includes(x));
}

export function parseBenchArgs(argv: string[], repoRoot: string): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string', multiple: true },
        messages: { type: 'string' },
        runs: { type: 'string' },
        'slow-messages': { type: 'string' },
        'slow-delay': { type: 'string' },
        'many-domains': { type: 'string' },
        'no-variants': { type: 'boolean', default: false },
        million: { type: 'string' },
        suppressed: { type: 'string' },
        'ops-messages': { type: 'string' },
        'drain-budget': { type: 'string' },
        'enqueue-budget': { type: 'string' },
        domains: { type: 'string' },
        blocked: { type: 'string' },
        'idle-seconds': { type: 'string' },
        sessions: { type: 'string' },
        size: { type: 'string' },
        fsync: { type: 'string' },
        'no-profile': { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        render: { type: 'boolean', default: false },
        senders: { type: 'string' },
        mtas: { type: 'string' },
        'vmta-cli': { type: 'string' },
        warmup: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) throw new UsageError('');
  const names = (v.scenario ?? ['all']).flatMap((s) => s.split(','));
  const scenarios = new Set<Scenario>();
  for (const name of names) {
    if (name === 'all') SCENARIOS.forEach((s) => scenarios.add(s));
    else if ((SCENARIOS as readonly string[]).includes(name)) scenarios.add(name as Scenario);
    else throw new UsageError(`--scenario must be one of ${[...SCENARIOS, 'all'].join(', ')}, got "${name}"`);
  }
  const quick = v.quick;
  const fsync = v.fsync ?? 'always';
  if (fsync !== 'always' && fsync !== 'everysec') throw new UsageError(`--fsync must be always or everysec, got "${fsync}"`);
  const domains = count('domains', v.domains, quick ? 500 : 10_000);
  const blocked = count('blocked', v.blocked, quick ? 50 : 1_000, 0);
  if (blocked >= domains) throw new UsageError('--blocked must be smaller than --domains');
  return {
    scenarios: SCENARIOS.filter((s) => scenarios.has(s)),
    senders: list('senders', v.senders, SENDER_LOADS),
    mtas: list('mtas', v.mtas, MTAS),
    ...(v['vmta-cli'] ? { vmtaCli: path.resolve(v['vmta-cli']) } : {}),
    ...(v.warmup !== undefined ? { warmup: count('warmup', v.warmup, 0, 0) } : {}),
    messages: count('messages', v.messages, quick ? 1_000 : 10_000),
    runs: count('runs', v.runs, quick ? 1 : 3),
    slowMessages: count('slow-messages', v['slow-messages'], quick ? 200 : 2_000),
    slowDelaySeconds: count('slow-delay', v['slow-delay'], 1),
    manyDomains: count('many-domains', v['many-domains'], quick ? 100 : 1_000),
    variants: !v['no-variants'],
    sessions: count('sessions', v.sessions, 20),
    size: count('size', v.size, 10_240),
    domains,
    blocked,
    idleSeconds: count('idle-seconds', v['idle-seconds'], quick ? 5 : 30),
    million: count('million', v.million, quick ? 20_000 : 1_000_000),
    suppressed: count('suppressed', v.suppressed, quick ? 100_000 : 10_000_000),
    opsMessages: count('ops-messages', v['ops-messages'], quick ? 10_000 : 100_000),
    enqueueBudgetSeconds: count('enqueue-budget', v['enqueue-budget'], quick ? 60 : 420),
    drainBudgetSeconds: count('drain-budget', v['drain-budget'], quick ? 60 : 420),
    fsync,
    profile: !v['no-profile'],
    quick,
    renderOnly: v.render,
    outDir: v.out ?? repoRoot,
  };
}
