/**
 * Runs tasks of one key one after another and tasks of different keys side by side. A key is
 * forgotten once its last task has settled, so memory follows the keys in use, not all seen.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task)
    // A failed task must not stop the next one.
    const tail = result.then(
      () => undefined,
      () => undefined,
    )
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.tails.size
  }
}
