/** A fixed-capacity FIFO: pushing past capacity overwrites the oldest. No allocation per push. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[]
  private start = 0
  private size = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer')
    this.items = new Array(capacity)
  }

  get length(): number {
    return this.size
  }

  push(item: T): void {
    const index = (this.start + this.size) % this.capacity
    this.items[index] = item
    if (this.size < this.capacity) this.size++
    else this.start = (this.start + 1) % this.capacity
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.size === 0 ? undefined : this.items[(this.start + this.size - 1) % this.capacity]
  }

  /** Oldest first; at most `limit` of the newest. */
  toArray(limit = this.size): T[] {
    const n = Math.min(limit, this.size)
    const out: T[] = new Array(n)
    const first = this.size - n
    for (let i = 0; i < n; i++) out[i] = this.items[(this.start + first + i) % this.capacity] as T
    return out
  }
}
