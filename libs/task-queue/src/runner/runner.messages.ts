/** @internal The text of the errors of runWorker(). */
export const runnerMessages = {
  noTaskQueueModule: (where: string) =>
    `${where}: the application's module does not import TaskQueueModule. Pass the root module ` +
    `that imports TaskQueueModule.forRoot() or forRootAsync() (the one your API process boots).`,
};
