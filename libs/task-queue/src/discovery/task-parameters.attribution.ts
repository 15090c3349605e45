import { SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import { TASK_INJECT_TOKENS } from '../task-queue.constants.js';

/** An entry Nest's `@Inject()` records for a method parameter: on the prototype, unnamed. */
interface DeclaredDependency {
  index: number;
  param: unknown;
}

/** @internal What a task method's parameters are given by their decorators. */
export interface TaskParameterTokens {
  /** Tokens by parameter index, where every reading of the decorators agrees. */
  readonly tokens: ReadonlyMap<number, unknown>;
  /** Parameters that an `@Inject()` of another method may be meant for: bootstrap fails. */
  readonly ambiguous?: {
    readonly indices: readonly number[];
    /** Decorated methods that may own those entries; undefined without decorator metadata. */
    readonly methods?: readonly string[];
  };
}

/** What a prototype held when the previous task method on it was decorated. */
interface Seen {
  readonly entries: Set<DeclaredDependency>;
  readonly methods: Set<string | symbol>;
}

// Decorators run once, when a class is defined: what they saw is a fact about loaded code.
const seenOn = new WeakMap<object, Seen>();

const PARAMTYPES = 'design:paramtypes';

const parameterCount = (prototype: object, key: string | symbol): number | undefined =>
  (Reflect.getOwnMetadata(PARAMTYPES, prototype, key) as unknown[] | undefined)?.length;

/** Methods of the prototype itself that some decorator has run on (TypeScript gave them types). */
const decoratedMethods = (prototype: object): (string | symbol)[] =>
  Reflect.ownKeys(prototype).filter(
    (key) => key !== 'constructor' && parameterCount(prototype, key) !== undefined,
  );

/**
 * Works out, when `@Task()` runs on a method, which `@Inject()` tokens are that method's own.
 *
 * Nest's `@Inject()` on a method parameter appends `{ index, param }` to one list on the
 * prototype, without the method's name. Members are decorated one after another in declaration
 * order, and a method's parameter decorators run just before its own method decorators, so the
 * entries added since the previous task method was decorated are, in order, those of the methods
 * decorated in between (the ones that got `design:paramtypes` since), then this method's.
 * Every split of them that fits (each entry's index below its method's parameter count) is a
 * possible reading; where readings give a parameter different tokens, the parameter is
 * ambiguous and left to bootstrap to report. `@TaskInject()` names its method, so a parameter
 * marked with it is never ambiguous. Without decorator metadata, the methods decorated in
 * between are unknown, so every split fits.
 */
export function attributeParameterTokens(
  prototype: object,
  key: string | symbol,
): TaskParameterTokens {
  const { fresh, others } = sinceLastTask(prototype, key);
  const count = parameterCount(prototype, key) ?? Infinity;
  const marked = (Reflect.getOwnMetadata(TASK_INJECT_TOKENS, prototype, key) ??
    new Map()) as ReadonlyMap<number, unknown>;
  const readings: Map<number, unknown>[] = [];
  for (let split = 0; split <= fresh.length; split += 1) {
    const mine = fresh.slice(split);
    if (mine.some((entry) => entry.index >= count)) continue;
    if (!fitsOthers(fresh.slice(0, split), others)) continue;
    readings.push(new Map([...tokensOf(mine), ...marked]));
  }
  return compare(readings, fresh, marked, (indices) =>
    others
      ? [...others].filter(([, n]) => indices.some((i) => i < n)).map(([name]) => String(name))
      : undefined,
  );
}

/**
 * The entries added, and the other methods decorated (with their parameter counts; undefined
 * without decorator metadata), since the previous task method of the prototype. Remembers what
 * is there now for the next one.
 */
function sinceLastTask(prototype: object, key: string | symbol) {
  const own = (Reflect.getOwnMetadata(SELF_DECLARED_DEPS_METADATA, prototype) ??
    []) as DeclaredDependency[];
  const inherited = new Set(
    (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, Object.getPrototypeOf(prototype) as object) ??
      []) as DeclaredDependency[],
  );
  const seen = seenOn.get(prototype) ?? { entries: new Set(), methods: new Set() };
  seenOn.set(prototype, seen);
  const fresh = own.filter((entry) => !inherited.has(entry) && !seen.entries.has(entry));
  const decorated = decoratedMethods(prototype);
  const others =
    parameterCount(prototype, key) === undefined
      ? undefined
      : new Map(
          decorated
            .filter((method) => method !== key && !seen.methods.has(method))
            .map((method) => [method, parameterCount(prototype, method) ?? 0]),
        );
  own.forEach((entry) => seen.entries.add(entry));
  decorated.forEach((method) => seen.methods.add(method));
  return { fresh, others };
}

/** Whether entries can all belong to the other methods decorated in between. */
function fitsOthers(
  entries: DeclaredDependency[],
  others: ReadonlyMap<string | symbol, number> | undefined,
): boolean {
  if (entries.length === 0 || others === undefined) return true;
  const widest = Math.max(-1, ...others.values());
  return entries.every((entry) => entry.index < widest);
}

/** An entry's token for each parameter after `(ctx, payload)`; as in Nest, a later entry wins. */
function tokensOf(entries: DeclaredDependency[]): Map<number, unknown> {
  return new Map(
    entries.filter((entry) => entry.index >= 2).map((entry) => [entry.index, entry.param]),
  );
}

/** The tokens every reading agrees on; the parameters they disagree on are ambiguous. */
function compare(
  readings: Map<number, unknown>[],
  fresh: DeclaredDependency[],
  marked: ReadonlyMap<number, unknown>,
  ownersOf: (indices: number[]) => string[] | undefined,
): TaskParameterTokens {
  // No reading fits only if the decorators ran in an order this does not know: claim nothing.
  if (readings.length === 0) {
    const indices = [...new Set(fresh.map((entry) => entry.index))].filter(
      (index) => index >= 2 && !marked.has(index),
    );
    if (indices.length === 0) return { tokens: new Map(marked) };
    return { tokens: new Map(marked), ambiguous: { indices, methods: ownersOf(indices) } };
  }
  const [first, ...rest] = readings;
  const indices = new Set(readings.flatMap((reading) => [...reading.keys()]));
  const disputed = [...indices].filter((index) =>
    rest.some((reading) => reading.get(index) !== first.get(index)),
  );
  const tokens = new Map([...first].filter(([index]) => !disputed.includes(index)));
  if (disputed.length === 0) return { tokens };
  disputed.sort((a, b) => a - b);
  return { tokens, ambiguous: { indices: disputed, methods: ownersOf(disputed) } };
}
