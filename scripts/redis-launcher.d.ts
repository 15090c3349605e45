/** The Redis to use, and how to let it go. */
export interface RedisHandle {
  /** URL of the Redis in use, for REDIS_URL. */
  url: string;
  /** True if a private redis-server was started for this process. */
  started: boolean;
  /** Stops the private redis-server and removes its folder; does nothing if none was started. */
  stop(): Promise<void>;
}

export interface EnsureRedisOptions {
  /** Redis to try first; defaults to REDIS_URL, then redis://127.0.0.1:6379. */
  url?: string;
  /** Where to report that a private server was started; defaults to console.error. */
  log?: (message: string) => void;
}

/**
 * Returns the Redis at `url` if it answers PING within about a second, otherwise a private
 * redis-server (127.0.0.1, free port, no persistence, files in a temporary folder) that
 * `stop()` kills and that never outlives this process. Throws if there is neither.
 */
export declare function ensureRedis(options?: EnsureRedisOptions): Promise<RedisHandle>;
