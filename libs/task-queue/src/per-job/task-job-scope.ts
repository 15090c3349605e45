import {
  PARAMTYPES_METADATA,
  PROPERTY_DEPS_METADATA,
  SELF_DECLARED_DEPS_METADATA,
} from '@nestjs/common/constants.js';
import { REQUEST } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { hasHook, type Hooks } from './task-invocation.js';
import { TASK_JOB } from '../task-queue.constants.js';

/** @internal The per-job instances one job made: each provider once, in the order made. */
export class JobScope {
  readonly instances = new Map<InstanceWrapper, object>();

  constructor(readonly job: object) {}

  /** Hooks of the instances this job made, dependents before what they depend on. */
  hooks(): Hooks[] {
    const hooks: Hooks[] = [];
    for (const instance of this.instances.values()) if (hasHook(instance)) hooks.unshift(instance);
    return hooks;
  }
}

/** @internal Gives a provider's value in one job's scope. */
export type JobFactory = (scope: JobScope) => unknown;

type Constructor = new (...args: unknown[]) => object;

/**
 * @internal A factory that makes a per-job provider the way Nest's request scope would, without
 * going through Nest's injector for every job, which costs as much as the rest of a no-op job
 * (docs/benchmarks.md, per-job DI). The dependency tree is read once, at
 * bootstrap, from what Nest resolved for it.
 *
 * It covers the usual shape of a per-job provider: a class whose constructor takes singletons,
 * the job (`TASK_JOB` or `REQUEST`), and other per-job classes of that same shape. Anything else
 * (factory providers, property injection, durable or transient providers, `INQUIRER`, optional
 * dependencies left out, a cycle) gives `undefined`, and the caller lets Nest resolve it.
 */
export function compileJobFactory(
  wrapper: InstanceWrapper,
  path: readonly InstanceWrapper[] = [],
): JobFactory | undefined {
  if (wrapper.token === TASK_JOB || wrapper.token === REQUEST) return (scope) => scope.job;
  if (wrapper.isTransient || wrapper.isAlias || path.includes(wrapper)) return undefined;
  if (wrapper.isDependencyTreeStatic()) {
    const value: unknown = wrapper.instance;
    return () => value;
  }
  const metatype = wrapper.metatype as Constructor | null;
  if (wrapper.inject || typeof metatype !== 'function' || wrapper.isDependencyTreeDurable()) {
    return undefined;
  }
  if (hasMetadata(PROPERTY_DEPS_METADATA, metatype) || wrapper.getEnhancersMetadata()?.length) {
    return undefined;
  }
  const dependencies = wrapper.getCtorMetadata() ?? [];
  const declared = Math.max(
    (Reflect.getMetadata(PARAMTYPES_METADATA, metatype) as unknown[] | undefined)?.length ?? 0,
    ...(
      (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, metatype) as { index: number }[]) ?? []
    ).map(({ index }) => index + 1),
  );
  if (dependencies.length !== declared) return undefined;
  const factories: JobFactory[] = [];
  for (let index = 0; index < declared; index++) {
    const dependency = dependencies[index] as InstanceWrapper | undefined;
    const factory = dependency && compileJobFactory(dependency, [...path, wrapper]);
    if (!factory) return undefined;
    factories.push(factory);
  }
  return (scope) => {
    let instance = scope.instances.get(wrapper);
    if (!instance) {
      instance = new metatype(...factories.map((factory) => factory(scope)));
      scope.instances.set(wrapper, instance);
    }
    return instance;
  };
}

const hasMetadata = (key: string, target: object) =>
  ((Reflect.getMetadata(key, target) as unknown[] | undefined)?.length ?? 0) > 0;
