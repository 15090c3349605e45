import type { BackendKind } from './queue-backend.js';

const NAMES: Record<BackendKind, string> = {
  redis: 'Redis',
  postgres: 'PostgreSQL',
  pglite: 'PGlite',
};

/** @internal The backend's name in messages. */
export const storeName = (kind: BackendKind): string => NAMES[kind];
