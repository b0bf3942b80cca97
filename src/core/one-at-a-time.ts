/**
 * Work for the same key runs one piece at a time, in the order it was asked for; work for
 * other keys goes on meanwhile. A piece that fails does not stop the ones after it.
 */
export class OneAtATime<Key> {
  private readonly tails = new Map<Key, Promise<unknown>>();

  run<T>(key: Key, work: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.tails.set(key, next);
    void next
      .finally(() => {
        if (this.tails.get(key) === next) this.tails.delete(key);
      })
      .catch(() => undefined);
    return next;
  }
}
