import type { CompiledQuery } from '../query/index.js';
import type { Entry } from '../dissect/entry.js';

/** A live subscriber: its compiled query and where matching entries go. */
interface Subscriber {
  query: CompiledQuery;
  send(entry: Entry): boolean;
}

/**
 * Fans stored entries out to WebSocket subscribers, each filtered by its own query. A
 * subscriber that cannot keep up (its `send` returns false) loses entries, counted, rather
 * than making the capture wait.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  dropped = 0;

  subscribe(query: CompiledQuery, send: (entry: Entry) => boolean): () => void {
    const sub = { query, send };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  get size(): number {
    return this.subscribers.size;
  }

  publish(entries: Iterable<Entry>): void {
    if (this.subscribers.size === 0) return;
    for (const entry of entries) {
      for (const sub of this.subscribers) {
        if (sub.query.predicate(entry) && !sub.send(entry)) this.dropped++;
      }
    }
  }
}
