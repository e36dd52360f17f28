/**
 * The keys of one bucket, kept sorted: a listing is a binary search to its prefix (or continuation
 * point) and a walk of one page, not a copy, filter and sort of every key. Order is JavaScript's
 * string order, as the embedded S3 always listed.
 */
export class KeyIndex {
  private readonly sorted: string[] = [];
  private readonly members = new Set<string>();

  constructor(keys: Iterable<string> = []) {
    for (const key of keys) this.members.add(key);
    this.sorted.push(...this.members);
    this.sorted.sort();
  }

  get size(): number {
    return this.members.size;
  }

  has(key: string): boolean {
    return this.members.has(key);
  }

  add(key: string): void {
    if (this.members.has(key)) return;
    this.members.add(key);
    const last = this.sorted.at(-1);
    if (last === undefined || last < key) this.sorted.push(key);
    else this.sorted.splice(this.firstNotBefore(key), 0, key);
  }

  delete(key: string): void {
    if (!this.members.delete(key)) return;
    this.sorted.splice(this.firstNotBefore(key), 1);
  }

  /** Up to `limit` keys that start with `prefix` and sort after `after`, in order. */
  page(prefix: string, after: string, limit: number): string[] {
    let at = after >= prefix ? this.firstNotBefore(after) : this.firstNotBefore(prefix);
    if (this.sorted[at] === after) at++;
    const page: string[] = [];
    for (; at < this.sorted.length && page.length < limit; at++) {
      const key = this.sorted[at] as string;
      if (!key.startsWith(prefix)) break;
      page.push(key);
    }
    return page;
  }

  private firstNotBefore(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sorted[middle] as string) < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
