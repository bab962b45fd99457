/**
 * The primary's book of a multi-process listener (`vmta start --listener-processes N`): which child holds
 * which connection, and how many connections each client (authSubject: an IPv6 client by its /64) and the
 * whole listener have. A connection is counted from the moment it is handed to a child until the child says
 * its socket closed, or the child is gone. The counts a child gets with a socket are the ones before it,
 * so total-max-smtp-in and max-smtp-in-per-ip hold across every child as they do in one process.
 */

/** What a child gets with a socket: connections open elsewhere in the listener, this one not counted. */
export interface HandedCounts {
  /** Every connection of the listener (all children). */
  total: number;
  /** Those of the same client. */
  fromClient: number;
}

export interface ChildLoad {
  slot: number;
  /** False while a child starts or after it died: it gets no connection. */
  ready: boolean;
}

/**
 * The child with the fewest open connections among the ready ones, the lowest slot on a tie; undefined
 * when none is ready.
 */
export function pickChild(children: readonly ChildLoad[], load: (slot: number) => number): number | undefined {
  let best: number | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const c of children) {
    if (!c.ready) continue;
    const n = load(c.slot);
    if (n < bestLoad || (n === bestLoad && best !== undefined && c.slot < best)) {
      best = c.slot;
      bestLoad = n;
    }
  }
  return best;
}

export class ConnectionBook {
  private readonly perClient = new Map<string, number>();
  private readonly bySlot = new Map<number, Map<number, string>>();
  private readonly slotOf = new Map<number, number>();

  get total(): number {
    return this.slotOf.size;
  }

  load(slot: number): number {
    return this.bySlot.get(slot)?.size ?? 0;
  }

  fromClient(client: string): number {
    return this.perClient.get(client) ?? 0;
  }

  /** Counts connection `id` of `client` in `slot`; returns the counts before it (what the child is told). */
  admit(id: number, client: string, slot: number): HandedCounts {
    const before = { total: this.total, fromClient: this.fromClient(client) };
    if (this.slotOf.has(id)) return before;
    this.slotOf.set(id, slot);
    let conns = this.bySlot.get(slot);
    if (!conns) this.bySlot.set(slot, (conns = new Map()));
    conns.set(id, client);
    this.perClient.set(client, before.fromClient + 1);
    return before;
  }

  /** The connection closed (a second release, or one of a child already dropped, changes nothing). */
  release(id: number): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    const conns = this.bySlot.get(slot)!;
    const client = conns.get(id)!;
    conns.delete(id);
    this.slotOf.delete(id);
    const left = (this.perClient.get(client) ?? 1) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
  }

  /** The child of `slot` is gone, and with it every connection it held; returns how many. */
  dropSlot(slot: number): number {
    const conns = this.bySlot.get(slot);
    if (!conns) return 0;
    const n = conns.size;
    for (const id of [...conns.keys()]) this.release(id);
    this.bySlot.delete(slot);
    return n;
  }
}
