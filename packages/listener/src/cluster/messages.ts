/** The IPC messages between the primary of a multi-process listener (primary.ts) and its children (child.ts). */

export type PrimaryMessage =
  /** A connection (the socket goes as the handle) for the listener of `identity`, with the counts before it. */
  | { t: 'conn'; id: number; identity: string; total: number; fromClient: number }
  /** Read the configuration file again and apply it; answer with `reloaded`. */
  | { t: 'reload'; seq: number }
  /** Drain and exit. */
  | { t: 'shutdown' };

export type ChildMessage =
  | { t: 'ready' }
  /** The socket of connection `id` closed: the primary stops counting it. */
  | { t: 'closed'; id: number }
  | { t: 'reloaded'; seq: number; ok: boolean };
