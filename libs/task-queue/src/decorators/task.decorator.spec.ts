import { Inject, Injectable } from '@nestjs/common';
import { SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import { TaskMetadataAccessor } from '../discovery/task-metadata.accessor.js';
import { TaskInject } from './task-inject.decorator.js';
import { TaskDefinitionError } from '../errors/task-definition.error.js';
import { Task } from './task.decorator.js';

class Mailer {}
class Clock {}

const tokensOf = (type: { prototype: object }, method: string) =>
  new TaskMetadataAccessor().getInjectedTokens(type.prototype, method);

describe('@Task and @Inject() on its parameters', () => {
  it('gives each task method its own @Inject() tokens', () => {
    @Injectable()
    class Tasks {
      @Task()
      first(_ctx: TaskContext, _payload: object, @Inject('A') _a: unknown, _mailer: Mailer) {}

      @Task()
      second(_ctx: TaskContext, _payload: object, _clock: Clock, @Inject('B') _b: unknown) {}
    }
    expect(tokensOf(Tasks, 'first')).toEqual(['A', Mailer]);
    expect(tokensOf(Tasks, 'second')).toEqual([Clock, 'B']);
  });

  it('takes no token of a method without @Task declared before it', () => {
    @Injectable()
    class Tasks {
      helper(_a: unknown, _b: unknown, @Inject('HELPER') _c: unknown) {}

      wider(_a: unknown, _b: unknown, _c: unknown, @Inject('WIDER') _d: unknown) {}

      @Task()
      run(_ctx: TaskContext, _payload: object, _mailer: Mailer) {}

      @Task()
      other(_ctx: TaskContext, _payload: object, @Inject('OTHER') _x: unknown) {}
    }
    expect(tokensOf(Tasks, 'run')).toEqual([Mailer]);
    expect(tokensOf(Tasks, 'other')).toEqual(['OTHER']);
  });

  it("takes no token of a parent class's methods", () => {
    @Injectable()
    class Base {
      helper(_a: unknown, _b: unknown, @Inject('PARENT') _c: unknown) {}
    }
    @Injectable()
    class Tasks extends Base {
      @Task()
      run(_ctx: TaskContext, _payload: object, _mailer: Mailer) {}

      @Task()
      send(_ctx: TaskContext, _payload: object, @Inject('OWN') _own: unknown) {}
    }
    expect(tokensOf(Tasks, 'run')).toEqual([Mailer]);
    expect(tokensOf(Tasks, 'send')).toEqual(['OWN']);
  });

  it('leaves Nest a @TaskInject() on a constructor parameter, as @Inject() would be', () => {
    @Injectable()
    class Tasks {
      constructor(@TaskInject('CONFIG') readonly config: unknown) {}
    }
    expect(Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, Tasks)).toEqual([
      { index: 0, param: 'CONFIG' },
    ]);
  });

  it('refuses a static method, which discovery would never call', () => {
    const declare = () => {
      class StaticTasks {
        @Task()
        static nightly(): void {}
      }
      return StaticTasks;
    };
    expect(declare).toThrow(TaskDefinitionError);
    expect(declare).toThrow(/StaticTasks\.nightly: .* a static method is never called/);
  });
});
