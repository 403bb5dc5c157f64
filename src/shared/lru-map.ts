// A map that remembers use order, with O(1) get, set, delete and "remove the least recently used".
// Why not a plain Map re-inserted on use (its iteration order is insertion order): V8 leaves a hole
// for every deleted entry until the table is rebuilt, and `map.keys().next()` walks over every hole
// before the first live key. An LRU that deletes at the front therefore paid O(holes) per eviction:
// 50–90 µs per insert at 100,000 keys (`npm run bench:lru`), on the event loop, and a client could
// set that price by sending new keys (user ids, addresses). Here the order is a linked list and the
// Map is only ever looked up by key. With `maxEntries`, adding a key past the bound forgets the
// least recently used one: the bound lives here, not in every caller.

class Node<K, V> {
  prev: Node<K, V> | undefined = undefined;
  next: Node<K, V> | undefined = undefined;
  constructor(
    readonly key: K,
    public value: V,
  ) {}
}

export class LruMap<K, V> {
  private readonly index = new Map<K, Node<K, V>>();
  /** Least recently used. */
  private head: Node<K, V> | undefined = undefined;
  /** Most recently used. */
  private tail: Node<K, V> | undefined = undefined;

  /** `maxEntries`: at most this many keys (unbounded when not given). */
  constructor(private readonly maxEntries = Infinity) {}

  get size(): number {
    return this.index.size;
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const node = this.index.get(key);
    if (node === undefined) return undefined;
    this.toTail(node);
    return node.value;
  }

  /** The value, its place in the order unchanged. */
  peek(key: K): V | undefined {
    return this.index.get(key)?.value;
  }

  /** Adds or replaces `key`, as the most recently used; past the bound the oldest key goes. */
  set(key: K, value: V): void {
    const found = this.index.get(key);
    if (found !== undefined) {
      found.value = value;
      this.toTail(found);
      return;
    }
    const node = new Node(key, value);
    this.index.set(key, node);
    this.append(node);
    if (this.index.size > this.maxEntries) this.shift();
  }

  delete(key: K): boolean {
    const node = this.index.get(key);
    if (node === undefined) return false;
    this.index.delete(key);
    this.unlink(node);
    return true;
  }

  /** The least recently used entry, left in place. */
  oldest(): { readonly key: K; readonly value: V } | undefined {
    return this.head;
  }

  /** Removes and returns the least recently used entry. */
  shift(): { readonly key: K; readonly value: V } | undefined {
    const node = this.head;
    if (node === undefined) return undefined;
    this.index.delete(node.key);
    this.unlink(node);
    return node;
  }

  clear(): void {
    this.index.clear();
    this.head = this.tail = undefined;
  }

  /** Keys from the least to the most recently used (for tests and diagnostics). */
  keys(): K[] {
    const out: K[] = [];
    for (let n = this.head; n !== undefined; n = n.next) out.push(n.key);
    return out;
  }

  private toTail(node: Node<K, V>): void {
    if (node === this.tail) return;
    this.unlink(node);
    this.append(node);
  }

  private append(node: Node<K, V>): void {
    node.prev = this.tail;
    node.next = undefined;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
  }

  private unlink(node: Node<K, V>): void {
    if (node.prev === undefined) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = undefined;
  }
}
