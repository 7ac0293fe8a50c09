/**
 * The mirroring tables of the hub's SQLite store: filters, their rules, sessions. Only
 * storage: everything written here was validated by MirrorConfig, which also wraps every
 * change in one transaction. The UNIQUE constraints repeat the model's uniqueness rules as a
 * last guard; the validation before them gives the clear error.
 */
import { migrate, type StoreDatabase } from '../store/database.js';
import type {
  MirrorDestination,
  MirrorFilter,
  MirrorRule,
  MirrorSession,
  MirrorSource,
  PortRange,
  RuleDirection,
  SessionState,
  Tag,
} from './types.js';
import type { RuleSpec } from './validate-rule.js';

const MIGRATIONS = [
  (db: StoreDatabase): void => {
    // AUTOINCREMENT: an id is never reused, so counters and logs keyed by a deleted
    // session's id cannot be mistaken for a new session's.
    db.exec(`CREATE TABLE mirror_filters (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      tags TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
    db.exec(`CREATE TABLE mirror_rules (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      filter_id INTEGER NOT NULL REFERENCES mirror_filters (id) ON DELETE CASCADE,
      direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      priority INTEGER NOT NULL,
      protocol TEXT NOT NULL,
      source_cidr TEXT NOT NULL,
      destination_cidr TEXT NOT NULL,
      source_ports TEXT,
      destination_ports TEXT,
      policy TEXT NOT NULL,
      UNIQUE (filter_id, direction, priority)
    )`);
    db.exec(`CREATE TABLE mirror_sessions (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      tags TEXT NOT NULL,
      vni INTEGER NOT NULL UNIQUE,
      priority INTEGER NOT NULL UNIQUE,
      packet_length INTEGER NOT NULL,
      filter_id INTEGER NOT NULL REFERENCES mirror_filters (id),
      sources TEXT NOT NULL,
      destination TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('Stopped', 'Running')),
      created_at TEXT NOT NULL
    )`);
  },
];

/** The fields of a filter other than its rules. */
export interface FilterFields {
  name: string;
  description: string;
  tags: Tag[];
}

/** The stored fields of a session other than id, state and creation time. */
export type SessionFields = Omit<MirrorSession, 'id' | 'state' | 'createdAt'>;

interface FilterRow {
  id: number;
  name: string;
  description: string;
  tags: string;
  created_at: string;
}

interface RuleRow {
  id: number;
  filter_id: number;
  direction: RuleDirection;
  priority: number;
  protocol: MirrorRule['protocol'];
  source_cidr: string;
  destination_cidr: string;
  source_ports: string | null;
  destination_ports: string | null;
  policy: MirrorRule['policy'];
}

interface SessionRow {
  id: number;
  name: string;
  description: string;
  tags: string;
  vni: number;
  priority: number;
  packet_length: number;
  filter_id: number;
  sources: string;
  destination: string;
  state: SessionState;
  created_at: string;
}

export class MirrorTable {
  constructor(private readonly db: StoreDatabase) {
    migrate(db, 'mirror', MIGRATIONS);
  }

  insertFilter(f: FilterFields): number {
    const r = this.db
      .prepare('INSERT INTO mirror_filters (name, description, tags, created_at) VALUES (?, ?, ?, ?)')
      .run(f.name, f.description, JSON.stringify(f.tags), new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  updateFilter(id: number, f: FilterFields): void {
    this.db
      .prepare('UPDATE mirror_filters SET name = ?, description = ?, tags = ? WHERE id = ?')
      .run(f.name, f.description, JSON.stringify(f.tags), id);
  }

  deleteFilter(id: number): void {
    this.db.prepare('DELETE FROM mirror_filters WHERE id = ?').run(id);
  }

  filter(id: number): MirrorFilter | undefined {
    const row = this.db.prepare('SELECT * FROM mirror_filters WHERE id = ?').get(id) as FilterRow | undefined;
    if (row === undefined) return undefined;
    const rules = this.db.prepare('SELECT * FROM mirror_rules WHERE filter_id = ?').all(id) as RuleRow[];
    return filterFromRows(row, rules);
  }

  filters(): MirrorFilter[] {
    const rows = this.db.prepare('SELECT * FROM mirror_filters ORDER BY id').all() as FilterRow[];
    const rules = this.db.prepare('SELECT * FROM mirror_rules').all() as RuleRow[];
    return rows.map((row) =>
      filterFromRows(
        row,
        rules.filter((r) => r.filter_id === row.id),
      ),
    );
  }

  insertRule(filterId: number, rule: RuleSpec): number {
    const r = this.db
      .prepare(
        `INSERT INTO mirror_rules (filter_id, direction, priority, protocol, source_cidr, destination_cidr, source_ports, destination_ports, policy)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(filterId, ...ruleValues(rule));
    return Number(r.lastInsertRowid);
  }

  updateRule(id: number, rule: RuleSpec): void {
    this.db
      .prepare(
        `UPDATE mirror_rules SET direction = ?, priority = ?, protocol = ?, source_cidr = ?, destination_cidr = ?,
           source_ports = ?, destination_ports = ?, policy = ? WHERE id = ?`,
      )
      .run(...ruleValues(rule), id);
  }

  deleteRule(id: number): void {
    this.db.prepare('DELETE FROM mirror_rules WHERE id = ?').run(id);
  }

  insertSession(s: SessionFields): number {
    const r = this.db
      .prepare(
        `INSERT INTO mirror_sessions (name, description, tags, vni, priority, packet_length, filter_id, sources, destination, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'Stopped', ?)`,
      )
      .run(...sessionValues(s), new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  updateSession(id: number, s: SessionFields): void {
    this.db
      .prepare(
        `UPDATE mirror_sessions SET name = ?, description = ?, tags = ?, vni = ?, priority = ?, packet_length = ?,
           filter_id = ?, sources = ?, destination = ? WHERE id = ?`,
      )
      .run(...sessionValues(s), id);
  }

  setSessionState(id: number, state: SessionState): void {
    this.db.prepare('UPDATE mirror_sessions SET state = ? WHERE id = ?').run(state, id);
  }

  deleteSession(id: number): void {
    this.db.prepare('DELETE FROM mirror_sessions WHERE id = ?').run(id);
  }

  session(id: number): MirrorSession | undefined {
    const row = this.db.prepare('SELECT * FROM mirror_sessions WHERE id = ?').get(id) as
      SessionRow | undefined;
    return row === undefined ? undefined : sessionFromRow(row);
  }

  sessions(): MirrorSession[] {
    return (this.db.prepare('SELECT * FROM mirror_sessions ORDER BY id').all() as SessionRow[]).map(
      sessionFromRow,
    );
  }

  /** The ids of the sessions that use a filter. */
  sessionsUsing(filterId: number): number[] {
    const rows = this.db
      .prepare('SELECT id FROM mirror_sessions WHERE filter_id = ? ORDER BY id')
      .all(filterId);
    return (rows as Array<{ id: number }>).map((r) => r.id);
  }

  /** The session (other than `exceptId`) having `column` equal to `value`, if any. */
  sessionWith(column: 'vni' | 'priority', value: number, exceptId = 0): number | undefined {
    const row = this.db
      .prepare(`SELECT id FROM mirror_sessions WHERE ${column} = ? AND id != ?`)
      .get(value, exceptId) as { id: number } | undefined;
    return row?.id;
  }

  usedVnis(): Set<number> {
    const rows = this.db.prepare('SELECT vni FROM mirror_sessions').all() as Array<{ vni: number }>;
    return new Set(rows.map((r) => r.vni));
  }
}

function ruleValues(
  rule: RuleSpec,
): [string, number, string, string, string, string | null, string | null, string] {
  return [
    rule.direction,
    rule.priority,
    rule.protocol,
    rule.sourceCidr,
    rule.destinationCidr,
    portsText(rule.sourcePorts),
    portsText(rule.destinationPorts),
    rule.policy,
  ];
}

function sessionValues(
  s: SessionFields,
): [string, string, string, number, number, number, number, string, string] {
  return [
    s.name,
    s.description,
    JSON.stringify(s.tags),
    s.vni,
    s.priority,
    s.packetLength,
    s.filterId,
    JSON.stringify(s.sources),
    JSON.stringify(s.destination),
  ];
}

function portsText(range: PortRange | null): string | null {
  return range === null ? null : `${range.from}/${range.to}`;
}

function portsFromText(text: string | null): PortRange | null {
  if (text === null) return null;
  const [from, to] = text.split('/').map(Number);
  return { from: from!, to: to! };
}

function byPriority(a: MirrorRule, b: MirrorRule): number {
  return a.priority - b.priority;
}

function filterFromRows(row: FilterRow, ruleRows: RuleRow[]): MirrorFilter {
  const rules = ruleRows.map(ruleFromRow).sort(byPriority);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    tags: JSON.parse(row.tags) as Tag[],
    inbound: rules.filter((r) => r.direction === 'inbound'),
    outbound: rules.filter((r) => r.direction === 'outbound'),
    createdAt: row.created_at,
  };
}

function ruleFromRow(row: RuleRow): MirrorRule {
  return {
    id: row.id,
    filterId: row.filter_id,
    direction: row.direction,
    priority: row.priority,
    protocol: row.protocol,
    sourceCidr: row.source_cidr,
    destinationCidr: row.destination_cidr,
    sourcePorts: portsFromText(row.source_ports),
    destinationPorts: portsFromText(row.destination_ports),
    policy: row.policy,
  };
}

function sessionFromRow(row: SessionRow): MirrorSession {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    tags: JSON.parse(row.tags) as Tag[],
    vni: row.vni,
    priority: row.priority,
    packetLength: row.packet_length,
    filterId: row.filter_id,
    sources: JSON.parse(row.sources) as MirrorSource[],
    destination: JSON.parse(row.destination) as MirrorDestination,
    state: row.state,
    createdAt: row.created_at,
  };
}
