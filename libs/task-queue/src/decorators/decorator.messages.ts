/** @internal The text of the errors the task decorators raise. */
export const decoratorMessages = {
  staticTask: (where: string) =>
    `${where}: @Task() and @ScheduledTask() go on instance methods of an @Injectable() ` +
    `provider, which the module finds at bootstrap; a static method is never called. Remove ` +
    `'static' from it.`,
};
