import type { Command } from 'commander';
import { formatEndpoint, formatPortRange } from '../mirror/cidr.js';
import type { MirrorCounters, MirrorFilter, MirrorRule, MirrorSession, Tag } from '../mirror/types.js';
import { destinationEndpoints, formatSource } from '../mirror/validate-session.js';
import { UsageError } from '../util/errors.js';
import { addHubOptions, type HubConnection, hubConnection, type HubFlags, hubJson } from './hub-client.js';
import { parsePositiveInt } from './options.js';

type SessionView = MirrorSession & { counters?: MirrorCounters | null };

/**
 * `meshtap mirror filter|rule|session ...`: traffic mirroring on a running hub. Values are
 * passed through as typed and checked by the hub, so the CLI reports the hub's MIRROR_* codes.
 */
export function registerMirrorCommand(program: Command): Command {
  const mirror = program
    .command('mirror')
    .description('Traffic mirroring: filters, rules and sessions on a running hub (VXLAN to a destination)');
  registerFilterCommands(
    mirror.command('filter').description('Mirror filters: what traffic a session mirrors'),
  );
  registerRuleCommands(mirror.command('rule').description('Inbound and outbound rules of a mirror filter'));
  registerSessionCommands(
    mirror.command('session').description('Mirror sessions: sources, filter, destination'),
  );
  return mirror;
}

// ---- option parsing ----

/** A whole number, negative ones included: the hub checks the range and names the field. */
function wholeNumber(value: string): number {
  if (!/^-?\d+$/.test(value))
    throw new UsageError('CLI_BAD_NUMBER', `expected a whole number, not "${value}"`);
  return Number(value);
}

/** Commander's collector of a repeatable option (no default: `previous` starts undefined). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `key=value` (or `key`, an empty value). */
function parseTag(text: string): Tag {
  const eq = text.indexOf('=');
  return eq < 0 ? { key: text, value: '' } : { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** One destination is an endpoint; several make a load-balanced group. */
function destinationBody(list: string[]): string | string[] {
  return list.length === 1 ? list[0]! : list;
}

/** The body fields named by options that were given (commander leaves the others undefined). */
function given(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function tagsOrUndefined(tags: string[] | undefined): Tag[] | undefined {
  return tags === undefined || tags.length === 0 ? undefined : tags.map(parseTag);
}

function hubCommand(parent: Command, name: string, description: string): Command {
  return addHubOptions(parent.command(name).description(description));
}

// ---- filters ----

function registerFilterCommands(filter: Command): void {
  const withFields = (cmd: Command) =>
    cmd
      .option('--description <text>', 'up to 256 characters')
      .option('--tag <key=value>', 'a tag (repeatable, up to 20)', collect);
  withFields(hubCommand(filter, 'create', 'Create a filter (add rules with "mirror rule add")'))
    .requiredOption('--name <name>', '1..128 characters')
    .action(async (flags: HubFlags & { name: string; description?: string; tag?: string[] }) => {
      const body = given({
        name: flags.name,
        description: flags.description,
        tags: tagsOrUndefined(flags.tag),
      });
      printFilter(await hubJson<MirrorFilter>(hubConnection(flags), 'POST', '/api/mirror/filters', body));
    });
  withFields(
    hubCommand(filter, 'modify', "Change a filter's name, description or tags (tags given replace all)"),
  )
    .argument('<id>', 'filter id', parsePositiveInt)
    .option('--name <name>', '1..128 characters')
    .action(async (id: number, flags: HubFlags & { name?: string; description?: string; tag?: string[] }) => {
      const body = given({
        name: flags.name,
        description: flags.description,
        tags: tagsOrUndefined(flags.tag),
      });
      printFilter(
        await hubJson<MirrorFilter>(hubConnection(flags), 'PATCH', `/api/mirror/filters/${id}`, body),
      );
    });
  hubCommand(filter, 'list', 'List filters').action(async (flags: HubFlags) => {
    const filters = await hubJson<MirrorFilter[]>(hubConnection(flags), 'GET', '/api/mirror/filters');
    printTable(
      ['ID', 'NAME', 'INBOUND', 'OUTBOUND', 'DESCRIPTION'],
      filters.map((f) => [f.id, f.name, f.inbound.length, f.outbound.length, f.description]),
    );
  });
  hubCommand(filter, 'get', 'Show a filter and its rules')
    .argument('<id>', 'filter id', parsePositiveInt)
    .action(async (id: number, flags: HubFlags) =>
      printFilter(await hubJson<MirrorFilter>(hubConnection(flags), 'GET', `/api/mirror/filters/${id}`)),
    );
  hubCommand(filter, 'delete', 'Delete a filter no session uses')
    .argument('<id>', 'filter id', parsePositiveInt)
    .action(async (id: number, flags: HubFlags) => {
      const f = await hubJson<MirrorFilter>(hubConnection(flags), 'DELETE', `/api/mirror/filters/${id}`);
      process.stdout.write(`deleted filter ${f.id} (${f.name})\n`);
    });
}

// ---- rules ----

interface RuleFlags extends HubFlags {
  direction?: string;
  priority?: number;
  protocol?: string;
  source?: string;
  destination?: string;
  sourcePorts?: string;
  destinationPorts?: string;
  policy?: string;
}

function ruleBody(flags: RuleFlags): Record<string, unknown> {
  return given({
    direction: flags.direction,
    priority: flags.priority,
    protocol: flags.protocol,
    sourceCidr: flags.source,
    destinationCidr: flags.destination,
    sourcePorts: flags.sourcePorts,
    destinationPorts: flags.destinationPorts,
    policy: flags.policy,
  });
}

function registerRuleCommands(rule: Command): void {
  const options: Array<[string, string, ((v: string) => number)?]> = [
    ['--direction <dir>', 'inbound (what a source receives) or outbound (what it sends)'],
    [
      '--priority <n>',
      '1..16777216, unique within the direction; the smallest is evaluated first',
      wholeNumber,
    ],
    ['--protocol <p>', 'ALL, ICMP, TCP or UDP'],
    ['--source <cidr>', 'source CIDR block (IPv4 or IPv6), e.g. 10.0.0.0/8'],
    ['--destination <cidr>', 'destination CIDR block, the same family as --source'],
    ['--policy <policy>', 'Collect or DoNotCollect (Do-not-collect)'],
  ];
  const ports = (cmd: Command) =>
    cmd
      .option(
        '--source-ports <a/b>',
        'source port range, e.g. 1/200, 80/80; -1/-1 for any (TCP and UDP only)',
      )
      .option('--destination-ports <a/b>', 'destination port range; -1/-1 for any (TCP and UDP only)');

  const add = hubCommand(rule, 'add', 'Add a rule to a filter').argument(
    '<filter-id>',
    'filter id',
    parsePositiveInt,
  );
  for (const [flag, help, parse] of options) {
    if (parse) add.requiredOption(flag, help, parse);
    else add.requiredOption(flag, help);
  }
  ports(add).action(async (filterId: number, flags: RuleFlags) =>
    printRules([await ruleCall(flags, 'POST', `/api/mirror/filters/${filterId}/rules`, ruleBody(flags))]),
  );

  const modify = hubCommand(rule, 'modify', 'Change fields of a rule')
    .argument('<filter-id>', 'filter id', parsePositiveInt)
    .argument('<rule-id>', 'rule id', parsePositiveInt);
  for (const [flag, help, parse] of options) {
    if (parse) modify.option(flag, help, parse);
    else modify.option(flag, help);
  }
  ports(modify).action(async (filterId: number, ruleId: number, flags: RuleFlags) =>
    printRules([
      await ruleCall(flags, 'PATCH', `/api/mirror/filters/${filterId}/rules/${ruleId}`, ruleBody(flags)),
    ]),
  );

  hubCommand(rule, 'remove', 'Remove a rule from a filter')
    .argument('<filter-id>', 'filter id', parsePositiveInt)
    .argument('<rule-id>', 'rule id', parsePositiveInt)
    .action(async (filterId: number, ruleId: number, flags: HubFlags) => {
      const r = await ruleCall(flags, 'DELETE', `/api/mirror/filters/${filterId}/rules/${ruleId}`);
      process.stdout.write(
        `removed ${r.direction} rule ${r.id} (priority ${r.priority}) of filter ${r.filterId}\n`,
      );
    });
}

function ruleCall(flags: HubFlags, method: string, path: string, body?: unknown): Promise<MirrorRule> {
  return hubJson<MirrorRule>(hubConnection(flags), method, path, body);
}

// ---- sessions ----

interface SessionFlags extends HubFlags {
  name?: string;
  description?: string;
  tag?: string[];
  vni?: number;
  priority?: number;
  packetLength?: number;
  filter?: number;
  source?: string[];
  destination?: string[];
}

function sessionBody(flags: SessionFlags): Record<string, unknown> {
  return given({
    name: flags.name,
    description: flags.description,
    tags: tagsOrUndefined(flags.tag),
    vni: flags.vni,
    priority: flags.priority,
    packetLength: flags.packetLength,
    filterId: flags.filter,
    sources: flags.source,
    destination: flags.destination === undefined ? undefined : destinationBody(flags.destination),
  });
}

function withSessionFields(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'up to 256 characters')
    .option('--tag <key=value>', 'a tag (repeatable, up to 20; given tags replace all)', collect)
    .option('--vni <n>', 'VXLAN network identifier 0..16777215 (default: random, unused)', wholeNumber)
    .option('--packet-length <bytes>', 'bytes of each frame mirrored, 64..8500 (default 1500)', wholeNumber);
}

function registerSessionCommands(session: Command): void {
  withSessionFields(
    hubCommand(session, 'create', 'Create a session (Stopped: start it with "session start")'),
  )
    .requiredOption('--name <name>', '1..128 characters')
    .requiredOption('--filter <id>', 'the filter deciding what is mirrored', parsePositiveInt)
    .requiredOption(
      '--priority <n>',
      '1..32766, unique; a packet goes to the matching session of smallest value',
      wholeNumber,
    )
    .requiredOption(
      '--source <source>',
      'interface:NAME, netns:NAME or netns:NAME/IFACE (repeatable, up to 16)',
      collect,
    )
    .requiredOption(
      '--destination <host[:port]>',
      'where to send (port 4789 by default); repeat for a load-balanced group',
      collect,
    )
    .action(async (flags: SessionFlags) =>
      printSession(await sessionCall(flags, 'POST', '', sessionBody(flags))),
    );

  withSessionFields(hubCommand(session, 'modify', 'Change a session (sources: add-source, remove-source)'))
    .argument('<id>', 'session id', parsePositiveInt)
    .option('--name <name>', '1..128 characters')
    .option('--filter <id>', 'the filter deciding what is mirrored', parsePositiveInt)
    .option('--priority <n>', '1..32766, unique', wholeNumber)
    .option(
      '--destination <host[:port]>',
      'replaces the destination; repeat for a load-balanced group',
      collect,
    )
    .action(async (id: number, flags: SessionFlags) =>
      printSession(await sessionCall(flags, 'PATCH', `/${id}`, sessionBody(flags))),
    );

  hubCommand(session, 'list', 'List sessions').action(async (flags: HubFlags) =>
    printSessionTable(await hubJson<SessionView[]>(hubConnection(flags), 'GET', '/api/mirror/sessions')),
  );

  const simple: Array<[string, string, string, string]> = [
    ['get', 'Show a session', 'GET', ''],
    ['start', 'Start mirroring', 'POST', '/start'],
    ['stop', 'Stop mirroring', 'POST', '/stop'],
    ['delete', 'Delete a session (a running one stops)', 'DELETE', ''],
  ];
  for (const [name, description, method, suffix] of simple) {
    hubCommand(session, name, description)
      .argument('<id>', 'session id', parsePositiveInt)
      .action(async (id: number, flags: HubFlags) =>
        printSession(
          await sessionCall(flags, method, `/${id}${suffix}`),
          name === 'delete' ? 'deleted' : undefined,
        ),
      );
  }

  hubCommand(session, 'add-source', 'Add a source to a session')
    .argument('<id>', 'session id', parsePositiveInt)
    .argument('<source>', 'interface:NAME, netns:NAME or netns:NAME/IFACE')
    .action(async (id: number, source: string, flags: HubFlags) =>
      printSession(await sessionCall(flags, 'POST', `/${id}/sources`, { source })),
    );
  hubCommand(session, 'remove-source', 'Remove a source from a session')
    .argument('<id>', 'session id', parsePositiveInt)
    .argument('<source>', 'the source as listed by "session get"')
    .action(async (id: number, source: string, flags: HubFlags) =>
      printSession(await sessionCall(flags, 'DELETE', `/${id}/sources?source=${encodeURIComponent(source)}`)),
    );
}

function sessionCall(flags: HubFlags, method: string, path: string, body?: unknown): Promise<SessionView> {
  const conn: HubConnection = hubConnection(flags);
  return hubJson<SessionView>(conn, method, `/api/mirror/sessions${path}`, body);
}

// ---- output ----

/** Columns padded to their widest cell; the last column is not padded. */
function printTable(headers: string[], rows: unknown[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const row of cells) {
    process.stdout.write(
      `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`,
    );
  }
}

function printDetails(rows: Array<[string, unknown]>): void {
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(15)} ${String(v)}\n`);
}

function tagsText(tags: Tag[]): string {
  return tags.length === 0 ? '-' : tags.map((t) => `${t.key}=${t.value}`).join(', ');
}

function printFilter(f: MirrorFilter): void {
  printDetails([
    ['id', f.id],
    ['name', f.name],
    ['description', f.description || '-'],
    ['tags', tagsText(f.tags)],
    ['created', f.createdAt],
  ]);
  const rules = [...f.inbound, ...f.outbound];
  process.stdout.write('\n');
  if (rules.length === 0) process.stdout.write('no rules: this filter mirrors nothing\n');
  else printRules(rules);
}

function printRules(rules: MirrorRule[]): void {
  printTable(
    [
      'DIRECTION',
      'PRIORITY',
      'RULE',
      'PROTOCOL',
      'SOURCE',
      'DESTINATION',
      'SRC-PORTS',
      'DST-PORTS',
      'POLICY',
    ],
    rules.map((r) => [
      r.direction,
      r.priority,
      r.id,
      r.protocol,
      r.sourceCidr,
      r.destinationCidr,
      formatPortRange(r.sourcePorts),
      formatPortRange(r.destinationPorts),
      r.policy,
    ]),
  );
}

function destinationText(s: MirrorSession): string {
  const list = destinationEndpoints(s.destination).map(formatEndpoint).join(', ');
  return s.destination.kind === 'group'
    ? `group of ${destinationEndpoints(s.destination).length}: ${list}`
    : list;
}

const COUNTER_NAMES: Array<keyof MirrorCounters> = [
  'matched',
  'mirrored',
  'truncated',
  'sentBytes',
  'sendErrors',
];

function printSessionTable(sessions: SessionView[]): void {
  const withCounters = sessions.some((s) => s.counters !== undefined);
  const headers = ['ID', 'NAME', 'STATE', 'PRIORITY', 'VNI', 'LENGTH', 'FILTER'];
  if (withCounters) headers.push('MATCHED', 'MIRRORED', 'TRUNCATED', 'SENT-BYTES', 'ERRORS');
  headers.push('SOURCES', 'DESTINATION');
  printTable(
    headers,
    sessions.map((s) => [
      s.id,
      s.name,
      s.state,
      s.priority,
      s.vni,
      s.packetLength,
      s.filterId,
      ...(withCounters ? COUNTER_NAMES.map((k) => s.counters?.[k] ?? '-') : []),
      s.sources.length === 0 ? '-' : s.sources.map(formatSource).join(','),
      destinationText(s),
    ]),
  );
}

function printSession(s: SessionView, verb?: string): void {
  if (verb) process.stdout.write(`${verb} session ${s.id} (${s.name})\n`);
  printDetails([
    ['id', s.id],
    ['name', s.name],
    ['state', s.state],
    ['description', s.description || '-'],
    ['tags', tagsText(s.tags)],
    ['vni', s.vni],
    ['priority', s.priority],
    ['packet length', s.packetLength],
    ['filter', s.filterId],
    ['sources', s.sources.length === 0 ? '- (mirrors nothing)' : s.sources.map(formatSource).join(', ')],
    ['destination', destinationText(s)],
    ['created', s.createdAt],
    ...(s.counters ? COUNTER_NAMES.map((k): [string, unknown] => [k, s.counters![k]]) : []),
  ]);
}
