/**
 * Group commit of delivery outcomes: the recordOutcomes calls made during one event-loop turn go to
 * Redis together at setImmediate, OUTCOMES_PER_CALL messages a recordOutcomesMany call, instead of
 * one script call each. Each caller still awaits its own message's answer (or error) before it
 * acknowledges or goes on, so an outcome is durable before its caller moves on; a kill -9 loses
 * only outcomes not yet committed, and those messages are delivered again, as with one call each.
 */
import { OutcomeRecordError } from './errors.js';
import { OUTCOMES_PER_CALL, type RecordOutcomesInput, type RecordOutcomesReply } from './scripts/index.js';

/** Sends one call of up to OUTCOMES_PER_CALL messages; answers per message, in order. */
export type SendOutcomes = (inputs: readonly RecordOutcomesInput[]) => Promise<RecordOutcomesReply[]>;

interface Waiting {
  input: RecordOutcomesInput;
  resolve(left: number): void;
  reject(err: unknown): void;
}

/** A demoted primary's refusal: passed on as it is, as a single script call would (see redis.ts). */
const isReadonly = (err: unknown): boolean => err instanceof Error && err.message.startsWith('READONLY');

export class OutcomeCommits {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly send: SendOutcomes,
    private readonly perCall = OUTCOMES_PER_CALL,
  ) {}

  /** Records one message's outcomes with the others of this turn; answers as recordOutcomes does. */
  record(input: RecordOutcomesInput): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const group = this.waiting;
    this.waiting = [];
    this.scheduled = false;
    for (let i = 0; i < group.length; i += this.perCall) void this.commit(group.slice(i, i + this.perCall));
  }

  private async commit(part: Waiting[]): Promise<void> {
    let replies: RecordOutcomesReply[];
    try {
      replies = await this.send(part.map((w) => w.input));
    } catch (err) {
      for (const w of part) w.reject(isReadonly(err) ? err : new OutcomeRecordError(`outcomes of ${w.input.id} not recorded: ${String(err)}`, w.input.id, w.input.queue, { cause: err }));
      return;
    }
    part.forEach((w, i) => {
      const reply = replies[i];
      if (typeof reply === 'number') w.resolve(reply);
      else w.reject(new OutcomeRecordError(`outcomes of ${w.input.id} not recorded: ${reply?.error ?? 'no answer'}`, w.input.id, w.input.queue));
    });
  }
}
