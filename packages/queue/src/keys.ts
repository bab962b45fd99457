/**
 * The one builder of Redis key names and queue names. Nothing parses a key back
 * into parts. Keys of one message share a hash tag ({m:<id>}), keys of one queue
 * share {q:<queue>}, so each group lives in one Redis Cluster slot.
 */

/** A queue is the pair (recipient domain, VMTA), named the way operators write it. */
export function queueName(domain: string, vmta: string): string {
  return `${domain}/${vmta}`;
}

export class Keys {
  constructor(readonly prefix = 'vmta') {}

  messageBody(id: string): string {
    return `${this.prefix}:{m:${id}}:body`;
  }
  messageMeta(id: string): string {
    return `${this.prefix}:{m:${id}}:meta`;
  }
  /** Hash: recipient index -> JSON recipient record (address, queue, state). */
  messageRecipients(id: string): string {
    return `${this.prefix}:{m:${id}}:rcpts`;
  }
  /** Sorted set of message ids waiting in a queue, scored by the time they may next be tried. */
  queueReady(queue: string): string {
    return `${this.prefix}:{q:${queue}}:ready`;
  }
  /** Hash of a queue's state: mode, retry time, consecutive failures, counters. */
  queueState(queue: string): string {
    return `${this.prefix}:{q:${queue}}:state`;
  }
  /** Set of message ids a token (connection slot) of a queue has claimed and not finished. */
  queueInflight(queue: string, slot: number): string {
    return `${this.prefix}:{q:${queue}}:inflight:${slot}`;
  }
  /**
   * Hash of the token run holding a connection slot of a queue: `process` (its process id in the
   * registry) and `run` (the BullMQ lock token of the run). Scripts that act for the slot check it,
   * so a run whose slot was taken from it (its process went silent) writes nothing more.
   */
  queueSlotHolder(queue: string, slot: number): string {
    return `${this.prefix}:{q:${queue}}:holder:${slot}`;
  }
  /**
   * Present (with a TTL) while a token of the queue is awake: waiting to run, or running and
   * still finding mail. An enqueue that sees it skips the wake; the token's empty claim
   * deletes it atomically, so mail queued after that always wakes a token.
   */
  queueAwake(queue: string): string {
    return `${this.prefix}:{q:${queue}}:awake`;
  }
  /** Sorted set of the queue's message ids by received time, for bounce-after in every state. */
  queueAge(queue: string): string {
    return `${this.prefix}:{q:${queue}}:age`;
  }
  /**
   * Sorted set of the queues holding mail, scored by when their oldest message reaches bounce-after
   * (ms): what the one cluster-wide bounce-after sweeper reads (docs/design/queues.md, bounce-after).
   * The queue's QueueRef is the `ref` field of its state hash, written by the scripts that add it.
   */
  expiryIndex(): string {
    return `${this.prefix}:expiry`;
  }
  /** Held (with a TTL, renewed) by the one delivery process that runs the bounce-after sweep. */
  expirySweepLock(): string {
    return `${this.prefix}:expiry-sweep`;
  }
  /** Queues whose dispatch token may not have been added yet (swept by delivery). */
  wakeSet(): string {
    return `${this.prefix}:wake`;
  }
  /** Pub/sub channel of cluster-wide commands to every process (e.g. "reload"). */
  controlChannel(): string {
    return `${this.prefix}:control`;
  }
  /** BullMQ prefix of the dispatch queue. */
  bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
  /**
   * Hash of MX rollup decisions: recipient domain -> JSON { name, until } (the rollup name, '' for
   * none, and until when it holds, ms). Delivery writes it after resolving a domain's MX; the
   * listener reads it at enqueue to queue mail for a rolled-up domain in NAME.rollup/vmta at once.
   */
  mxRollupMap(): string {
    return `${this.prefix}:mx-rollup`;
  }
  /** Set of the queue names that hold mail, or did within QUEUE_RETIRE_IDLE_MS (retireQueue takes idle ones out). */
  queueIndex(): string {
    return `${this.prefix}:queues`;
  }
  /** Present while one delivery process runs the sweep that retires idle queues (the others skip it). */
  retireSweepLock(): string {
    return `${this.prefix}:retire-sweep`;
  }
  /** Stream of accounting events (r, d, b, t records). */
  accounting(): string {
    return `${this.prefix}:acct`;
  }
  /** Counter of a fixed rate window, e.g. AUTH failures of one client IP. */
  rateWindow(name: string, subject: string, windowStart: number): string {
    return `${this.prefix}:rate:${name}:{${subject}}:${windowStart}`;
  }
  /** Hash of cluster-wide totals (received, delivered, ...). */
  totals(): string {
    return `${this.prefix}:totals`;
  }
  /** Sorted set of connection leases of one queue: holder -> lease expiry (ms). */
  queueConnections(queue: string): string {
    return `${this.prefix}:{q:${queue}}:conns`;
  }
  /** Sorted set of connection leases of all queues of one VMTA: holder -> lease expiry (ms). */
  vmtaConnections(vmta: string): string {
    return `${this.prefix}:{v:${vmta}}:conns`;
  }
  /** Sorted set of the holders waiting for one of a full VMTA's connection slots: holder -> queue-priority. */
  vmtaConnectionWaiters(vmta: string): string {
    return `${this.prefix}:{v:${vmta}}:waiters`;
  }
  /** Sorted set of the same holders: holder -> until when its wait counts (ms); it asks again before then. */
  vmtaConnectionWaitUntil(vmta: string): string {
    return `${this.prefix}:{v:${vmta}}:waiting`;
  }
  /** Sorted set of running `vmta start` processes: process id -> last heartbeat (ms). */
  processIndex(): string {
    return `${this.prefix}:procs`;
  }
  /** JSON record of one process (role, host, pid, VMTAs served...), expiring if it stops heart-beating. */
  processRecord(id: string): string {
    return `${this.prefix}:proc:${id}`;
  }
  /** Set of the slots a process holds now (JSON {queue, domain, vmta, slot, run}): where recovery looks when it goes silent. */
  processSlots(id: string): string {
    return `${this.prefix}:proc:${id}:slots`;
  }
  /** Hash of one minute's counters (received, delivered, bounced, deferred); `epochMinute` = ms / 60000. */
  minuteCounters(epochMinute: number): string {
    return `${this.prefix}:minute:${epochMinute}`;
  }
  /** Hash of delivery latency histogram counters per VMTA (`<vmta>|<bucket>`, `|sum`; the count is the buckets' sum). */
  deliveryLatency(): string {
    return `${this.prefix}:latency`;
  }
  /** Counter numbering operator delete requests (each gets its own in-flight slot). */
  purgeSequence(): string {
    return `${this.prefix}:purge-seq`;
  }
  /** GCRA state (theoretical arrival time) of one rate limit of a queue, e.g. `max-msg-rate`. */
  queueRateLimit(queue: string, limit: string): string {
    return `${this.prefix}:{q:${queue}}:rate:${limit}`;
  }
  /**
   * Hash of the disabled source IPs: `<ip>|<queue>` (queue `*`: every queue) -> JSON DisabledSource.
   * Every delivery process reads it; an entry past its `until` is re-enabled by whoever sees it first.
   */
  disabledSources(): string {
    return `${this.prefix}:disabled-sources`;
  }
  /**
   * Hash of a tenant's suppression store: lower-cased address -> "expiresMs|reason|addedMs|queue|reply"
   * (expiresMs 0 = never). One HGET per RCPT looks an address up.
   */
  suppressions(tenant: string): string {
    return `${this.prefix}:{s:${tenant}}:supp`;
  }
  /** Sorted set of a tenant's suppressions that expire, scored by the expiry time (ms), for the sweep. */
  suppressionExpiry(tenant: string): string {
    return `${this.prefix}:{s:${tenant}}:supp-exp`;
  }
  /** Set of the tenants that have a suppression store. */
  suppressionTenants(): string {
    return `${this.prefix}:supp-tenants`;
  }
  /** Hash: message id -> its job, for messages that belong to a job (read where mail is claimed and deleted). */
  messageJobs(): string {
    return `${this.prefix}:job-of`;
  }
  /** Set of the jobs an operator paused (`vmta pause job`): their mail stays queued, the rest flows. */
  pausedJobs(): string {
    return `${this.prefix}:jobs:paused`;
  }
  /** Hash of one job's counters: received, delivered, bounced (recipients), first and last seen (ms); expires when idle. */
  jobStats(job: string): string {
    return `${this.prefix}:job:{${job}}:stats`;
  }
  /** Sorted set of the jobs seen: job -> last time it received mail (ms), for `vmta show jobs`. */
  jobIndex(): string {
    return `${this.prefix}:jobs`;
  }
  /**
   * Stream of the mail the feedback loop and bounce processors could not read (not a report): kind,
   * reason, envelope and the raw message, kept until an operator deletes it (never trimmed).
   */
  unparsedReports(): string {
    return `${this.prefix}:reports:unparsed`;
  }
}
