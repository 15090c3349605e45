import { Inject, Injectable, Optional } from '@nestjs/common';
import { SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import { ScheduledTask } from '../decorators/scheduled-task.decorator.js';
import { TaskInject } from '../decorators/task-inject.decorator.js';
import { Task } from '../decorators/task.decorator.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import { TaskMetadataAccessor } from './task-metadata.accessor.js';

class Clock {}
class Mailer {}
const TOKEN = 'TOKEN';

/** A method decorator of some other library: it leaves nothing the attribution could read. */
const Listen = (): MethodDecorator => () => undefined;

const accessor = new TaskMetadataAccessor();
const read = (type: { prototype: object }, method: string) => ({
  tokens: accessor.getInjectedTokens(type.prototype, method),
  ambiguous: accessor.getAmbiguousParameters(type.prototype, method),
});
const exact = (...tokens: unknown[]) => ({ tokens, ambiguous: undefined });

type Ctx = TaskContext;

describe("which @Inject() tokens are a task method's own", () => {
  it('names the parameter, not TOKEN, when a helper before the task has @Inject at its index (the issue)', () => {
    @Injectable()
    class Tasks {
      helper(_a: unknown, _b: unknown, @Inject(TOKEN) _x: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}
    }
    const { tokens, ambiguous } = read(Tasks, 'run');
    expect(tokens).not.toContain(TOKEN);
    expect(ambiguous).toEqual({ indices: [2], methods: ['helper'] });
  });

  it('gives the task its own token once the parameter is marked with @TaskInject', () => {
    @Injectable()
    class Tasks {
      helper(_a: unknown, _b: unknown, @Inject(TOKEN) _x: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @TaskInject(Clock) _clock: Clock) {}

      @Task()
      send(_ctx: Ctx, _payload: object, @TaskInject('MAILER') _mailer: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
    expect(read(Tasks, 'send')).toEqual(exact('MAILER'));
  });

  it('is exact when the helper is declared after the task', () => {
    @Injectable()
    class Tasks {
      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}

      @Task()
      send(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown) {}

      helper(_a: unknown, _b: unknown, @Inject('HELPER') _x: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
    expect(read(Tasks, 'send')).toEqual(exact(TOKEN));
  });

  it('is exact when the helper before the task has @Inject beyond the task’s parameters', () => {
    @Injectable()
    class Tasks {
      helper(_a: unknown, _b: unknown, _c: unknown, @Inject(TOKEN) _d: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
  });

  it('is exact when the helper before the task has fewer parameters than the task’s @Inject index', () => {
    @Injectable()
    class Tasks {
      helper(@Inject('HELPER') _a: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown, _clock: Clock) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(TOKEN, Clock));
  });

  it('reports the index both a helper before the task and the task itself mark with @Inject', () => {
    @Injectable()
    class Tasks {
      helper(_a: unknown, _b: unknown, @Inject('HELPER') _x: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown) {}

      @Task()
      fixed(_ctx: Ctx, _payload: object, @TaskInject(TOKEN) _x: unknown) {}
    }
    expect(read(Tasks, 'run').ambiguous).toEqual({ indices: [2], methods: ['helper'] });
    expect(read(Tasks, 'fixed')).toEqual(exact(TOKEN));
  });

  it('reports a task with @Inject whose wider helper before it also has @Inject elsewhere', () => {
    @Injectable()
    class Tasks {
      helper(_a: unknown, _b: unknown, _c: unknown, @Inject('HELPER') _d: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown) {}
    }
    expect(read(Tasks, 'run').ambiguous).toEqual({ indices: [2], methods: ['helper'] });
  });

  it('gives two tasks with @Inject at the same index their own tokens', () => {
    @Injectable()
    class Tasks {
      @Task()
      first(_ctx: Ctx, _payload: object, @Inject('A') _a: unknown, _mailer: Mailer) {}

      @ScheduledTask({ every: 60 })
      second(_ctx: Ctx, _payload: object, @Inject('B') _b: unknown) {}

      @Task()
      third(_ctx: Ctx, _payload: object, _clock: Clock, @Inject('C') _c: unknown) {}
    }
    expect(read(Tasks, 'first')).toEqual(exact('A', Mailer));
    expect(read(Tasks, 'second')).toEqual(exact('B'));
    expect(read(Tasks, 'third')).toEqual(exact(Clock, 'C'));
  });

  it('takes every @Inject of a task that nothing else decorated came before', () => {
    @Injectable()
    class Tasks {
      plain(_a: unknown, _b: unknown, _c: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @TaskInject('A') _a: unknown, @Inject('B') _b: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact('A', 'B'));
  });

  it('is not misled by constructor @Inject at the same index', () => {
    @Injectable()
    class Tasks {
      constructor(
        @Inject('C0') readonly c0: unknown,
        @Inject('C1') readonly c1: unknown,
        @Inject('C2') readonly c2: unknown,
      ) {}

      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}

      @Task()
      send(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
    expect(read(Tasks, 'send')).toEqual(exact(TOKEN));
    const constructorTokens = (
      Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, Tasks) as {
        param: unknown;
      }[]
    ).map((entry) => entry.param);
    expect(constructorTokens.sort()).toEqual(['C0', 'C1', 'C2']);
  });

  it('is not misled by a static method with @Inject declared before the task', () => {
    @Injectable()
    class Tasks {
      static helper(_a: unknown, _b: unknown, @Inject(TOKEN) _x: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
  });

  it("takes no token of a parent class's methods, and a subclass keeps its parent's task tokens", () => {
    @Injectable()
    class Base {
      @Task()
      inherited(_ctx: Ctx, _payload: object, @Inject('BASE_TASK') _x: unknown) {}

      helper(_a: unknown, _b: unknown, @Inject('PARENT') _x: unknown) {}
    }
    @Injectable()
    class Tasks extends Base {
      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}

      subHelper(_a: unknown, _b: unknown, @Inject('SUB') _x: unknown) {}

      @Task()
      send(_ctx: Ctx, _payload: object, _clock: Clock, @Inject('OWN') _own: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
    expect(read(Tasks, 'inherited')).toEqual(exact('BASE_TASK'));
    // Index 3 is beyond subHelper's parameters: the task's own, whatever owns index 2.
    expect(read(Tasks, 'send')).toEqual({
      tokens: [Clock, 'OWN'],
      ambiguous: { indices: [2], methods: ['subHelper'] },
    });
  });

  it('is exact after a decorated method too narrow for the task’s @Inject index', () => {
    @Injectable()
    class Tasks {
      @Listen()
      onEvent(_event: object) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(TOKEN));
  });

  it('reports a task @Inject that a wide enough decorated method before it may own', () => {
    @Injectable()
    class Tasks {
      @Listen()
      onEvent(_a: unknown, _b: unknown, _c: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, @Inject(TOKEN) _x: unknown) {}
    }
    expect(read(Tasks, 'run').ambiguous).toEqual({ indices: [2], methods: ['onEvent'] });
  });

  it('treats @Optional() as what it is: no @Inject entry, or one like any other', () => {
    @Injectable()
    class Tasks {
      optionalOnly(_a: unknown, _b: unknown, @Optional() _x: unknown) {}

      @Task()
      run(_ctx: Ctx, _payload: object, _clock: Clock) {}

      optionalInject(_a: unknown, _b: unknown, @Optional() @Inject(TOKEN) _x: unknown) {}

      @Task()
      send(_ctx: Ctx, _payload: object, _clock: Clock) {}

      @Task()
      own(_ctx: Ctx, _payload: object, @Optional() @Inject(TOKEN) _x: unknown) {}
    }
    expect(read(Tasks, 'run')).toEqual(exact(Clock));
    expect(read(Tasks, 'send').ambiguous).toEqual({ indices: [2], methods: ['optionalInject'] });
    expect(read(Tasks, 'own')).toEqual(exact(TOKEN));
  });

  it('reports every @Inject of a task compiled without decorator metadata', () => {
    // What a compiler without emitDecoratorMetadata does: the decorators, no design types.
    class Tasks {
      run(_ctx: Ctx, _payload: object, _x: unknown, _y: unknown) {}
    }
    const descriptor = Object.getOwnPropertyDescriptor(Tasks.prototype, 'run')!;
    Inject(TOKEN)(Tasks.prototype, 'run', 2);
    TaskInject('Y')(Tasks.prototype, 'run', 3);
    Task()(Tasks.prototype, 'run', descriptor);
    expect(read(Tasks, 'run').ambiguous).toEqual({ indices: [2], methods: undefined });
  });
});
