import type { FastifyInstance, FastifySchema } from 'fastify';
import type { MirrorConfig } from '../../mirror/mirror-config.js';
import type { MirrorCounters, MirrorSession } from '../../mirror/types.js';

/**
 * Traffic mirroring: filters and their rules, sessions, their sources, start and stop.
 * The request schemas check shapes only; every value and limit is checked by MirrorConfig,
 * so the API and the CLI report the same MIRROR_* codes for the same mistakes.
 */
export interface MirrorRouteOptions {
  /** A running session's data-path counters (null when it has none); sessions then carry `counters`. */
  counters?: (sessionId: number) => MirrorCounters | null;
}

const id = { type: 'integer', minimum: 1 } as const;
const idParams = { type: 'object', properties: { id }, required: ['id'] } as const;
const ruleParams = { type: 'object', properties: { id, ruleId: id }, required: ['id', 'ruleId'] } as const;

const tag = { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' } } } as const;
const portRange = {
  type: ['object', 'null'],
  properties: { from: { type: 'integer' }, to: { type: 'integer' } },
} as const;
const ruleSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    filterId: { type: 'integer' },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    priority: { type: 'integer' },
    protocol: { type: 'string', enum: ['ALL', 'ICMP', 'TCP', 'UDP'] },
    sourceCidr: { type: 'string' },
    destinationCidr: { type: 'string' },
    sourcePorts: portRange,
    destinationPorts: portRange,
    policy: { type: 'string', enum: ['Collect', 'DoNotCollect'] },
  },
} as const;
/** What filters and sessions both have. */
const namedFields = {
  id: { type: 'integer' },
  name: { type: 'string' },
  description: { type: 'string' },
  tags: { type: 'array', items: tag },
} as const;
const filterSchema = {
  type: 'object',
  properties: {
    ...namedFields,
    inbound: { type: 'array', items: ruleSchema },
    outbound: { type: 'array', items: ruleSchema },
    createdAt: { type: 'string' },
  },
} as const;
const endpoint = {
  type: 'object',
  properties: { host: { type: 'string' }, port: { type: 'integer' } },
} as const;
const countersSchema = {
  type: ['object', 'null'],
  properties: Object.fromEntries(
    ['matched', 'mirrored', 'truncated', 'sentBytes', 'sendErrors'].map((k) => [k, { type: 'integer' }]),
  ),
} as const;
const sessionSchema = {
  type: 'object',
  properties: {
    ...namedFields,
    vni: { type: 'integer' },
    priority: { type: 'integer' },
    packetLength: { type: 'integer' },
    filterId: { type: 'integer' },
    sources: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: ['interface', 'netns'] },
          interface: { type: 'string' },
          netns: { type: 'string' },
        },
      },
    },
    destination: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['endpoint', 'group'] },
        endpoint,
        members: { type: 'array', items: endpoint },
      },
    },
    state: { type: 'string', enum: ['Stopped', 'Running'] },
    createdAt: { type: 'string' },
    counters: countersSchema,
  },
} as const;

const text = (description: string) => ({ type: 'string', description }) as const;
const number = (description: string) => ({ type: 'number', description }) as const;
const tagsBody = { type: 'array', items: { type: 'object' }, description: 'up to 20 {key, value}' } as const;

const ruleFields = {
  priority: number('1..16777216, unique within the direction; smallest first'),
  protocol: text('ALL, ICMP, TCP or UDP'),
  sourceCidr: text('IPv4 or IPv6 CIDR block, e.g. 10.0.0.0/8'),
  destinationCidr: text('IPv4 or IPv6 CIDR block, the same family as sourceCidr'),
  sourcePorts: { description: '"FIRST/LAST" (e.g. 1/200), "-1/-1" or null for any; TCP and UDP only' },
  destinationPorts: { description: '"FIRST/LAST" (e.g. 80/80), "-1/-1" or null for any; TCP and UDP only' },
  policy: text('Collect or DoNotCollect (Do-not-collect)'),
} as const;
const ruleBody = {
  type: 'object',
  additionalProperties: false,
  properties: { direction: text('inbound or outbound'), ...ruleFields },
} as const;
const filterPatch = {
  type: 'object',
  additionalProperties: false,
  properties: { name: text('1..128 characters'), description: text('up to 256 characters'), tags: tagsBody },
} as const;
const filterBody = {
  ...filterPatch,
  properties: {
    ...filterPatch.properties,
    inbound: { type: 'array', items: { type: 'object' }, description: 'rules (without direction)' },
    outbound: { type: 'array', items: { type: 'object' }, description: 'rules (without direction)' },
  },
} as const;
const sessionPatch = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...filterPatch.properties,
    // null must stay null (random VNI): with coercion a plain number type would turn it into 0.
    vni: { type: ['number', 'null'], description: '0..16777215; random and unused when left out or null' },
    priority: number('1..32766, unique; a packet goes to the matching session of smallest value'),
    packetLength: number('64..8500 bytes of each frame mirrored (default 1500)'),
    filterId: number('the filter deciding what is mirrored'),
    destination: {
      description: '"HOST[:PORT]" (port 4789 by default) or a list of 2..16 (load-balanced group)',
    },
  },
} as const;
const sessionBody = {
  ...sessionPatch,
  properties: {
    ...sessionPatch.properties,
    sources: {
      type: 'array',
      items: {},
      description: 'up to 16 of interface:NAME, netns:NAME, netns:NAME/IFACE',
    },
  },
} as const;
const sourceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['source'],
  properties: { source: { description: 'interface:NAME, netns:NAME or netns:NAME/IFACE' } },
} as const;
const sourceQuery = {
  type: 'object',
  required: ['source'],
  properties: { source: text('the source to remove, as listed: interface:NAME, netns:NAME[/IFACE]') },
} as const;

export function mirrorRoutes(
  app: FastifyInstance,
  config: MirrorConfig,
  opts: MirrorRouteOptions = {},
): void {
  filterRoutes(app, config);
  sessionRoutes(app, config, opts);
}

type IdReq = { params: { id: number } };
type RuleReq = { params: { id: number; ruleId: number } };

/** A route's schema: its OpenAPI summary under the "mirroring" tag, plus what it validates. */
function op(summary: string, parts: Omit<FastifySchema, 'summary' | 'tags'>): { schema: FastifySchema } {
  return { schema: { summary, tags: ['mirroring'], ...parts } };
}

function filterRoutes(app: FastifyInstance, config: MirrorConfig): void {
  const one = { 200: filterSchema };
  const byId = { params: idParams, response: one };
  const filterId = (req: unknown) => (req as IdReq).params.id;
  app.post(
    '/api/mirror/filters',
    op('Create a mirror filter', { body: filterBody, response: { 201: filterSchema } }),
    async (req, reply) => reply.code(201).send(config.createFilter(req.body)),
  );
  app.get(
    '/api/mirror/filters',
    op('List mirror filters', { response: { 200: { type: 'array', items: filterSchema } } }),
    async () => config.listFilters(),
  );
  app.get('/api/mirror/filters/:id', op('One mirror filter with its rules', byId), async (req) =>
    config.getFilter(filterId(req)),
  );
  app.patch(
    '/api/mirror/filters/:id',
    op("Change a filter's name, description or tags", { ...byId, body: filterPatch }),
    async (req) => config.modifyFilter(filterId(req), req.body),
  );
  app.delete('/api/mirror/filters/:id', op('Delete a filter no session uses', byId), async (req) =>
    config.deleteFilter(filterId(req)),
  );
  app.post(
    '/api/mirror/filters/:id/rules',
    op('Add a rule to a filter', { params: idParams, body: ruleBody, response: { 201: ruleSchema } }),
    async (req, reply) => reply.code(201).send(config.addRule(filterId(req), req.body)),
  );
  const byRule = { params: ruleParams, response: { 200: ruleSchema } };
  const ids = (req: unknown) => (req as RuleReq).params;
  app.patch(
    '/api/mirror/filters/:id/rules/:ruleId',
    op('Change a rule', { ...byRule, body: ruleBody }),
    async (req) => config.modifyRule(ids(req).id, ids(req).ruleId, req.body),
  );
  app.delete('/api/mirror/filters/:id/rules/:ruleId', op('Remove a rule', byRule), async (req) =>
    config.removeRule(ids(req).id, ids(req).ruleId),
  );
}

function sessionRoutes(app: FastifyInstance, config: MirrorConfig, opts: MirrorRouteOptions): void {
  const view = (s: MirrorSession) => (opts.counters ? { ...s, counters: opts.counters(s.id) } : s);
  const byId = { params: idParams, response: { 200: sessionSchema } };
  const sessionId = (req: unknown) => (req as IdReq).params.id;
  app.post(
    '/api/mirror/sessions',
    op('Create a mirror session (Stopped)', { body: sessionBody, response: { 201: sessionSchema } }),
    async (req, reply) => reply.code(201).send(view(await config.createSession(req.body))),
  );
  app.get(
    '/api/mirror/sessions',
    op('List mirror sessions', { response: { 200: { type: 'array', items: sessionSchema } } }),
    async () => config.listSessions().map(view),
  );
  app.get('/api/mirror/sessions/:id', op('One mirror session', byId), async (req) =>
    view(config.getSession(sessionId(req))),
  );
  app.patch(
    '/api/mirror/sessions/:id',
    op('Change a session', { ...byId, body: sessionPatch }),
    async (req) => view(await config.modifySession(sessionId(req), req.body)),
  );
  app.delete('/api/mirror/sessions/:id', op('Delete a session (stopping it)', byId), async (req) =>
    view(config.deleteSession(sessionId(req))),
  );
  app.post('/api/mirror/sessions/:id/start', op('Start mirroring', byId), async (req) =>
    view(config.startSession(sessionId(req))),
  );
  app.post('/api/mirror/sessions/:id/stop', op('Stop mirroring', byId), async (req) =>
    view(config.stopSession(sessionId(req))),
  );
  app.post(
    '/api/mirror/sessions/:id/sources',
    op('Add a source', { ...byId, body: sourceBody }),
    async (req) => view(await config.addSource(sessionId(req), (req.body as { source: unknown }).source)),
  );
  app.delete(
    '/api/mirror/sessions/:id/sources',
    op('Remove a source (?source=...)', { ...byId, querystring: sourceQuery }),
    async (req) => view(config.removeSource(sessionId(req), (req.query as { source: string }).source)),
  );
}
