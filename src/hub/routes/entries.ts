import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { exportMatchingStreams } from '../../export/export-streams.js';
import { createFilterMatcher } from '../../filter/index.js';
import { compileQuery, validateQuery } from '../../query/index.js';
import { checkStreamKey, dataPath } from '../../store/layout.js';
import type { Store } from '../../store/store.js';
import { MeshtapError } from '../../util/errors.js';
import type { LiveFeed } from '../live-feed.js';

const rangeProps = {
  q: { type: 'string', maxLength: 8192, default: '' },
  since: { type: 'integer', description: 'µs since the epoch, inclusive' },
  until: { type: 'integer', description: 'µs since the epoch, exclusive' },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...rangeProps,
    limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
    cursor: { type: 'string', maxLength: 200 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
  },
} as const;

const exportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...rangeProps,
    filter: { type: 'string', maxLength: 4096 },
    format: { type: 'string', enum: ['pcap', 'pcapng'], default: 'pcap' },
  },
} as const;

/** Entries (query language, paging), entry detail, stream pcaps, export, validation, store usage, and the live WebSocket. */
export function entryRoutes(app: FastifyInstance, store: Store, feed: LiveFeed): void {
  const tags = ['entries'];
  app.get(
    '/api/entries',
    { schema: { summary: 'Query entries, newest first, in pages', tags, querystring: listQuery } },
    async (request) => {
      const q = request.query as {
        q: string;
        since?: number;
        until?: number;
        limit: number;
        cursor?: string;
        order: 'asc' | 'desc';
      };
      const page = store.entries.query(compileQuery(q.q), {
        since: q.since,
        until: q.until,
        limit: q.limit,
        cursor: q.cursor ?? null,
        order: q.order,
      });
      return { entries: page.entries, nextCursor: page.nextCursor };
    },
  );
  app.get(
    '/api/entries/:id',
    {
      schema: {
        summary: 'One entry',
        tags,
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      },
    },
    async (request) => {
      const id = (request.params as { id: number }).id;
      const entry = store.entries.get(id);
      if (entry === undefined) throw new MeshtapError('ENTRY_NOT_FOUND', `no entry ${id}`);
      return entry;
    },
  );
  app.post(
    '/api/query/validate',
    {
      schema: {
        summary: 'Check a query without running it',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['q'],
          properties: { q: { type: 'string', maxLength: 8192 } },
        },
      },
    },
    async (request) => ({ errors: validateQuery((request.body as { q: string }).q) }),
  );
  app.get(
    '/api/streams/:key/pcap',
    {
      schema: {
        summary: "Download one stream's pcap",
        tags,
        params: {
          type: 'object',
          properties: { key: { type: 'string', maxLength: 200 } },
          required: ['key'],
        },
      },
    },
    async (request, reply) => {
      const key = checkStreamKey((request.params as { key: string }).key);
      const [row] = store.catalog.getMany([key]);
      if (row === undefined) throw new MeshtapError('STREAM_NOT_FOUND', `no stream ${key}`);
      return reply
        .type('application/vnd.tcpdump.pcap')
        .header('content-disposition', `attachment; filename="${key}.pcap"`)
        .send(createReadStream(dataPath(store.dataDir, row.filePath)));
    },
  );
  app.get(
    '/api/export',
    {
      schema: {
        summary: 'Packets of the streams with a matching entry, merged in time order',
        tags,
        querystring: exportQuery,
      },
    },
    async (request, reply) => {
      const q = request.query as {
        q: string;
        since?: number;
        until?: number;
        filter?: string;
        format: 'pcap' | 'pcapng';
      };
      // A bad query or filter is a 400 before any byte is sent.
      compileQuery(q.q);
      if (q.filter !== undefined) createFilterMatcher(q.filter);
      const body = new PassThrough();
      // The merge leaves a stream it was given open: end it, or the response never completes.
      exportMatchingStreams(store, q.q, body, {
        format: q.format,
        filter: q.filter,
        since: q.since,
        until: q.until,
      }).then(
        () => body.end(),
        (err: Error) => body.destroy(err),
      );
      return reply
        .type('application/vnd.tcpdump.pcap')
        .header('content-disposition', `attachment; filename="meshtap-export.${q.format}"`)
        .send(body);
    },
  );
  app.get(
    '/api/store/usage',
    { schema: { summary: 'Store size, streams, oldest and newest, limits', tags: ['operations'] } },
    async () => store.usage(),
  );
  app.get(
    '/api/live',
    {
      websocket: true,
      schema: {
        summary: 'WebSocket: live entries matching ?q=',
        tags,
        querystring: {
          type: 'object',
          properties: { q: { type: 'string', maxLength: 8192, default: '' }, token: { type: 'string' } },
        },
      },
    },
    (socket: WebSocket, request) => {
      const text = (request.query as { q?: string }).q ?? '';
      let query;
      try {
        query = compileQuery(text);
      } catch (err) {
        const e = err as MeshtapError;
        socket.send(JSON.stringify({ error: { code: e.code, message: e.message } }));
        socket.close(1008, e.code);
        return;
      }
      // Past 4 MiB buffered the subscriber is too slow: entries are dropped for it, and counted.
      const unsubscribe = feed.subscribe(query, (entry) => {
        if (socket.bufferedAmount > 4 * 1024 * 1024) return false;
        socket.send(JSON.stringify(entry));
        return true;
      });
      socket.on('close', unsubscribe);
    },
  );
}
