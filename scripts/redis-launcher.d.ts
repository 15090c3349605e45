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

/** A private redis-server, started by {@link startRedisServer}. */
export interface RedisServer {
  /** redis://127.0.0.1:<port>. */
  url: string;
  port: number;
  /** Its working folder: data files and redis.log. */
  dir: string;
  /**
   * Sends `signal` (default SIGTERM; SIGKILL after 5 s), waits until the port is free, and
   * removes `dir` if the launcher made it. Does nothing the second time.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartRedisServerOptions {
  /** Loopback port to listen on; default, a free one. Pass the same one to start again. */
  port?: number;
  /**
   * Working folder; default, a new temporary folder that `stop()` removes. A folder passed in is
   * kept, so a server started again on it finds its files (with `--appendonly yes`, its data).
   */
  dir?: string;
  /** More redis-server arguments, after the defaults (no persistence), so they win. */
  args?: string[];
}

/**
 * Starts a redis-server on 127.0.0.1 that never outlives this process, and waits until it
 * answers PING. Throws with the last line of its log if it exits or does not answer in 10 s.
 */
export declare function startRedisServer(options?: StartRedisServerOptions): Promise<RedisServer>;
