/** Which store the queues live in. */
export type BackendKind = 'redis' | 'postgres' | 'pglite';

/** What a reachability check found. */
export interface Reachability {
  reachable: boolean;
  error?: string;
}

/** @internal The outages of a backend, as those who wait for its return see them. */
export interface OutageEvents {
  /** Whether an outage is under way (and so already reported). */
  readonly ongoing: boolean;
  /** Calls `listener` each time the backend is back; returns a function to stop that. */
  onBack(listener: () => void): () => void;
}

/**
 * @internal Whether the application's backend can be reached and still holds its data: what
 * health checks, metrics and the schedulers need of it, whichever store it is (the testing
 * module's has none, and says so).
 */
export abstract class BackendHealth {
  abstract readonly kind: BackendKind;
  /** Where its connection errors go: one report per outage. */
  abstract readonly outage: OutageEvents;
  /** Whether the backend was reachable at its last use. */
  abstract isReady(): boolean;
  /** Resolves `true` once the backend answers, or `false` after `timeoutMs`. */
  abstract whenReady(timeoutMs: number): Promise<boolean>;
  /** Whether the backend answers a trivial query within `timeoutMs`; never throws. */
  abstract ping(timeoutMs: number): Promise<Reachability>;
  /** Calls `listener` once the backend is reachable again; returns a function to stop that. */
  abstract onceReachable(listener: () => void): () => void;
  /** Workers connected to queue `name`, in any process. */
  abstract workersCount(name: string): Promise<number>;
  /**
   * Whether the backend still holds what it held when {@link markKept} last ran: `false` once
   * it lost its data (a Redis restarted empty, or flushed).
   */
  abstract stillKept(): Promise<boolean>;
  /** Marks the backend's data, for {@link stillKept} to find. */
  abstract markKept(): Promise<void>;
  /**
   * Reports an error of one of its objects (`source`, e.g. a worker): one that says the backend
   * is out of reach goes to the outage, any other is logged as it comes.
   */
  abstract reportError(source: string, error: Error): void;
}

const NAMES: Record<BackendKind, string> = {
  redis: 'Redis',
  postgres: 'PostgreSQL',
  pglite: 'PGlite',
};

/** @internal The backend's name in messages. */
export const storeName = (kind: BackendKind): string => NAMES[kind];
