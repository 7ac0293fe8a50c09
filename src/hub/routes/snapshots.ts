import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MAX_SNAPSHOT_NAME_LENGTH, SnapshotFolder } from '../../snapshot/snapshot-folder.js';
import type { Store } from '../../store/store.js';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', description: 'the snapshot name, with or without .tar.gz' } },
  required: ['name'],
} as const;

const snapshotSchema = {
  type: 'object',
  required: ['name', 'size', 'createdAt'],
  properties: {
    name: { type: 'string' },
    size: { type: 'integer', description: 'bytes of the .tar.gz' },
    createdAt: { type: 'string' },
    query: { type: 'string' },
    since: { type: ['integer', 'null'] },
    until: { type: ['integer', 'null'] },
    node: { type: 'string' },
    streams: { type: 'integer' },
    entries: { type: 'integer' },
  },
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      description: `file name, ".tar.gz" added when missing: letters, digits, "_", "-", "+", "." (not first), at most ${MAX_SNAPSHOT_NAME_LENGTH} characters with the ending`,
    },
    q: {
      type: 'string',
      maxLength: 8192,
      default: '',
      description: 'query: the entries (and their streams) to keep',
    },
    since: { type: 'integer', description: 'µs since the epoch, inclusive' },
    until: { type: 'integer', description: 'µs since the epoch, exclusive' },
  },
} as const;

/** Snapshots kept by the hub in `DATA/snapshots/`: create from a query, list, download, delete. */
export function snapshotRoutes(app: FastifyInstance, store: Store): void {
  const folder = new SnapshotFolder(store, join(store.dataDir, 'snapshots'));
  app.addHook('onReady', () => folder.removeLeftovers());
  const tags = ['snapshots'];
  app.post(
    '/api/snapshots',
    {
      schema: {
        summary: 'Snapshot the streams, entries and names matching a query into NAME.tar.gz',
        tags,
        body: createBody,
        response: { 201: snapshotSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; q: string; since?: number; until?: number };
      const info = await folder.create(body.name, body.q, { since: body.since, until: body.until });
      return reply.code(201).send(info);
    },
  );
  app.get(
    '/api/snapshots',
    {
      schema: {
        summary: 'List stored snapshots, newest first',
        tags,
        response: { 200: { type: 'array', items: snapshotSchema } },
      },
    },
    async () => folder.list(),
  );
  app.get(
    '/api/snapshots/:name/download',
    { schema: { summary: 'Download a snapshot (.tar.gz)', tags, params: nameParams } },
    async (request, reply) => {
      const file = await folder.openForDownload((request.params as { name: string }).name);
      return reply
        .type('application/gzip')
        .header('content-length', file.size)
        .header('content-disposition', `attachment; filename="${file.name}"`)
        .send(file.stream);
    },
  );
  app.delete(
    '/api/snapshots/:name',
    {
      schema: {
        summary: 'Delete a snapshot',
        tags,
        params: nameParams,
        response: { 200: snapshotSchema },
      },
    },
    async (request) => folder.delete((request.params as { name: string }).name),
  );
}
