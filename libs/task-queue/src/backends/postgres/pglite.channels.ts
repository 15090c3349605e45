import type { EventEmitter } from 'node:events';
import type { PgNotification } from 'bullmq';

type Listener = (payload: string) => void;

/** The PostgreSQL process behind a PGlite: its id, once its pool has asked for it. */
export interface SessionProcess {
  processId?: number;
}

/** What of a PGlite the channels use. */
export interface ChannelSession {
  listen(channel: string, callback: Listener): Promise<unknown>;
  unlisten(channel: string, callback: Listener): Promise<void>;
}

interface Channel {
  clients: Set<EventEmitter>;
  /** Hands a notification to the clients; the session's LISTEN and UNLISTEN name it. */
  callback: Listener;
  /** The session's LISTEN, once asked for. */
  listening?: Promise<unknown>;
}

/**
 * @internal Which clients of a PGlitePool listen on which channel. PGlite is one session, so
 * the session listens on a channel for all of them, from the first client's LISTEN until the
 * pool ends: UNLISTEN only forgets the client. A later client's LISTEN on that channel then takes
 * effect at once, as on a connection of its own, rather than after the statements waiting for
 * the session (a NOTIFY among them would be lost to it).
 */
export class PGliteChannels {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly session: ChannelSession,
    /** Read when a notification arrives, for its `processId`. */
    private readonly process: Readonly<SessionProcess>,
  ) {}

  /**
   * Adds `client` to `channel`'s listeners. Only a channel new to the session needs a statement
   * (its LISTEN, which `inTurn` runs in a turn on the session); otherwise it takes effect at once.
   */
  async listen(
    client: EventEmitter,
    channel: string,
    inTurn: (statement: () => Promise<unknown>) => Promise<unknown>,
  ): Promise<void> {
    const entry = this.entry(channel);
    entry.clients.add(client);
    try {
      await (entry.listening ??= inTurn(() => this.session.listen(quote(channel), entry.callback)));
    } catch (error) {
      entry.listening = undefined;
      entry.clients.delete(client);
      throw error;
    }
  }

  /** Forgets `client` on `channel`, or on every channel (`UNLISTEN *`); no statement is needed. */
  unlisten(client: EventEmitter, channel?: string): void {
    for (const [name, { clients }] of this.channels) {
      if ((channel ?? name) === name) clients.delete(client);
    }
  }

  /**
   * Stops the session's LISTENs: `inTurn` runs the UNLISTENs (given as one function) in a turn
   * on the session. A LISTEN still waiting for its turn runs first, and is waited for outside
   * the turn: waited for inside, it would wait for that very turn.
   */
  async end(inTurn: (unlisten: () => Promise<void>) => Promise<unknown>): Promise<void> {
    const channels = [...this.channels];
    this.channels.clear();
    const started = await Promise.all(
      channels.map(async ([, { listening }]) => {
        if (!listening) return false;
        return listening.then(
          () => true,
          () => false,
        );
      }),
    );
    await inTurn(async () => {
      for (const [index, [name, { callback }]] of channels.entries()) {
        // Not the function listen() returns: that one drops the quotes ("Jobs" becomes jobs).
        if (started[index]) await this.session.unlisten(quote(name), callback);
      }
    });
  }

  private entry(channel: string): Channel {
    let entry = this.channels.get(channel);
    if (!entry) {
      const clients = new Set<EventEmitter>();
      const callback = (payload: string) => {
        const message: PgNotification = { channel, payload, processId: this.process.processId };
        for (const client of clients) client.emit('notification', message);
      };
      entry = { clients, callback };
      this.channels.set(channel, entry);
    }
    return entry;
  }
}

const quote = (channel: string) => `"${channel.replaceAll('"', '""')}"`;
