/** @internal A flow child's reference in its parent's `taskChildren`: `<queue>:<id>`. */
export const childRef = (queue: string, id: string): string => `${queue}:${id}`;
