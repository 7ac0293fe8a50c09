import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { CaptureTaskManager } from '../../capture/task-manager.js';
import { TASK_LIMITS } from '../../capture/task-spec.js';

const idParams = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1 } },
  required: ['id'],
} as const;

const taskSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    fileName: { type: 'string' },
    target: { type: 'object', additionalProperties: true },
    durationSeconds: { type: 'integer' },
    tcpdumpParams: { type: 'string' },
    sizeLimitBytes: { type: ['integer', 'null'] },
    state: { type: 'string', enum: ['Pending', 'Running', 'Complete', 'Failed', 'Deleted'] },
    reason: { type: ['string', 'null'] },
    host: { type: 'string' },
    path: { type: 'string' },
    sizeBytes: { type: 'integer' },
    packets: { type: 'integer' },
    kernelDrops: { type: ['integer', 'null'] },
    createdAt: { type: 'string' },
    startedAt: { type: ['string', 'null'] },
    endedAt: { type: ['string', 'null'] },
  },
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['fileName', 'durationSeconds'],
  properties: {
    target: {
      description: '"host", "netns:NAME", or {kind: "host"|"netns", netns}',
      oneOf: [{ type: 'string', maxLength: 80 }, { type: 'object' }],
    },
    durationSeconds: {
      type: 'integer',
      minimum: TASK_LIMITS.minDurationSeconds,
      maximum: TASK_LIMITS.maxDurationSeconds,
    },
    tcpdumpParams: { type: 'string', maxLength: 8192 },
    fileName: { type: 'string', minLength: 1, maxLength: TASK_LIMITS.maxFileNameLength },
    sizeLimitBytes: {
      type: 'integer',
      minimum: TASK_LIMITS.minSizeLimitBytes,
      maximum: TASK_LIMITS.maxSizeLimitBytes,
    },
  },
} as const;

/** Capture tasks: create, list, get, download the pcap, delete. */
export function taskRoutes(app: FastifyInstance, tasks: CaptureTaskManager): void {
  const tags = ['capture tasks'];
  app.post(
    '/api/captures',
    { schema: { summary: 'Start a capture task', tags, body: createBody, response: { 201: taskSchema } } },
    async (request, reply) => {
      const task = tasks.create(request.body as Record<string, unknown>);
      return reply.code(201).send(task);
    },
  );
  app.get(
    '/api/captures',
    {
      schema: {
        summary: 'List capture tasks',
        tags,
        response: { 200: { type: 'array', items: taskSchema } },
      },
    },
    async () => tasks.list(),
  );
  app.get(
    '/api/captures/:id',
    { schema: { summary: 'One capture task', tags, params: idParams, response: { 200: taskSchema } } },
    async (request) => tasks.get((request.params as { id: number }).id),
  );
  app.get(
    '/api/captures/:id/download',
    { schema: { summary: "Download a task's capture file", tags, params: idParams } },
    async (request, reply) => {
      const id = (request.params as { id: number }).id;
      const path = tasks.downloadPath(id);
      const name = tasks.get(id).fileName;
      return reply
        .type('application/vnd.tcpdump.pcap')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(createReadStream(path));
    },
  );
  app.delete(
    '/api/captures/:id',
    {
      schema: {
        summary: 'Stop and delete a task and its file',
        tags,
        params: idParams,
        response: { 200: taskSchema },
      },
    },
    async (request) => tasks.delete((request.params as { id: number }).id),
  );
}
