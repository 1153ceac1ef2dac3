/**
 * Runs a stop's steps in order and remembers the one under way, so that a stop which overruns
 * SHUTDOWN_TIMEOUT_MS can say where it hangs instead of only that it did.
 */
export class StopSteps {
  private step: string | undefined
  private readonly finished: string[] = []

  /** The step running now, or undefined between steps and once all are done. */
  get current(): string | undefined {
    return this.step
  }

  get done(): readonly string[] {
    return this.finished
  }

  async run<T>(name: string, step: () => T | Promise<T>): Promise<T> {
    this.step = name
    const result = await step()
    this.finished.push(name)
    this.step = undefined
    return result
  }
}
