/**
 * The mirroring configuration service the API, the CLI (through the API) and the data-path
 * runtime use. Every change is validated in full, then written in one transaction: a
 * rejected request leaves nothing stored changed. Listeners hear of every committed change.
 */
import { randomInt } from 'node:crypto';
import { MeshtapError, UsageError } from '../util/errors.js';
import type { StoreDatabase } from '../store/database.js';
import { MirrorTable } from './mirror-table.js';
import { hostAddressLookup } from './source-addresses.js';
import {
  MIRROR_LIMITS as L,
  type MirrorFilter,
  type MirrorRule,
  type MirrorSession,
  type MirrorSource,
} from './types.js';
import { MIRROR_CODES as C, requestObject, validDescription, validName, validTags } from './validate.js';
import { checkRuleCount, checkRuleSet, mergeRulePatch, validateRule } from './validate-rule.js';
import {
  checkSourceNotDestination,
  formatSource,
  mergeSessionPatch,
  parseSource,
  validateSession,
  type AddressLookup,
  type SessionSpec,
} from './validate-session.js';

export interface MirrorConfigOptions {
  /** The addresses of a source, for the source-is-destination check (default: `ip` on this host). */
  addressesOf?: AddressLookup;
  /** A random whole number in [0, max), for VNIs (default: crypto.randomInt). */
  random?: (max: number) => number;
}

/** A session that is running, with its filter: what the data path needs. */
export interface RunningSession {
  session: MirrorSession;
  filter: MirrorFilter;
}

const FILTER_FIELDS = ['name', 'description', 'tags', 'inbound', 'outbound'] as const;
const FILTER_PATCH_FIELDS = ['name', 'description', 'tags'] as const;
/** Random draws before falling back to a scan for a free VNI (a draw hits a free one almost always). */
const VNI_DRAWS = 64;

export class MirrorConfig {
  private readonly table: MirrorTable;
  private readonly addressesOf: AddressLookup;
  private readonly random: (max: number) => number;
  private readonly listeners = new Set<() => void>();
  /** Changes that await address lookups run one at a time, so none validates against a state another is changing. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: StoreDatabase,
    opts: MirrorConfigOptions = {},
  ) {
    this.table = new MirrorTable(db);
    this.addressesOf = opts.addressesOf ?? hostAddressLookup();
    this.random = opts.random ?? ((max) => randomInt(max));
  }

  /** Calls `listener` after every committed change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- filters ----

  listFilters(): MirrorFilter[] {
    return this.table.filters();
  }

  getFilter(id: number): MirrorFilter {
    return found(this.table.filter(id), C.MIRROR_FILTER_NOT_FOUND, `no mirror filter ${id}`, { id });
  }

  /** `{name, description?, tags?, inbound?: rule[], outbound?: rule[]}`. */
  createFilter(body: unknown): MirrorFilter {
    const req = requestObject(body, FILTER_FIELDS, 'a filter');
    const fields = {
      name: validName(req.name),
      description: validDescription(req.description),
      tags: validTags(req.tags),
    };
    const inbound = ruleList(req.inbound, 'inbound');
    const outbound = ruleList(req.outbound, 'outbound');
    checkRuleCount(inbound.length + outbound.length);
    const rules = [
      ...inbound.map((r) => validateRule(r, 'inbound')),
      ...outbound.map((r) => validateRule(r, 'outbound')),
    ];
    checkRuleSet(rules);
    return this.commit(() => {
      const id = this.table.insertFilter(fields);
      for (const rule of rules) this.table.insertRule(id, rule);
      return this.getFilter(id);
    });
  }

  /** Changes name, description or tags; rules change through addRule, modifyRule, removeRule. */
  modifyFilter(id: number, patch: unknown): MirrorFilter {
    const p = requestObject(patch, FILTER_PATCH_FIELDS, 'a filter change');
    return this.commit(() => {
      const f = this.getFilter(id);
      this.table.updateFilter(id, {
        name: p.name === undefined ? f.name : validName(p.name),
        description: p.description === undefined ? f.description : validDescription(p.description),
        tags: p.tags === undefined ? f.tags : validTags(p.tags),
      });
      return this.getFilter(id);
    });
  }

  /** Deletes a filter and its rules; a filter a session uses cannot be deleted (MIRROR_IN_USE). */
  deleteFilter(id: number): MirrorFilter {
    return this.commit(() => {
      const filter = this.getFilter(id);
      const users = this.table.sessionsUsing(id);
      if (users.length > 0) {
        throw new MeshtapError(
          C.MIRROR_IN_USE,
          `filter ${id} is used by session(s) ${users.join(', ')}; change or delete them first`,
          { sessions: users },
        );
      }
      this.table.deleteFilter(id);
      return filter;
    });
  }

  // ---- rules ----

  /** `{direction, priority, protocol, sourceCidr, destinationCidr, sourcePorts?, destinationPorts?, policy}`. */
  addRule(filterId: number, body: unknown): MirrorRule {
    const spec = validateRule(body);
    return this.commit(() => {
      checkRuleSet([...allRules(this.getFilter(filterId)), spec]);
      return this.getRule(filterId, this.table.insertRule(filterId, spec));
    });
  }

  /** Changes any fields of a rule, its direction included; the result is validated as a whole. */
  modifyRule(filterId: number, ruleId: number, patch: unknown): MirrorRule {
    return this.commit(() => {
      const rule = this.getRule(filterId, ruleId);
      const spec = mergeRulePatch(rule, patch);
      checkRuleSet([...allRules(this.getFilter(filterId)).filter((r) => r.id !== ruleId), spec]);
      this.table.updateRule(ruleId, spec);
      return this.getRule(filterId, ruleId);
    });
  }

  removeRule(filterId: number, ruleId: number): MirrorRule {
    return this.commit(() => {
      const rule = this.getRule(filterId, ruleId);
      this.table.deleteRule(ruleId);
      return rule;
    });
  }

  private getRule(filterId: number, ruleId: number): MirrorRule {
    const rule = allRules(this.getFilter(filterId)).find((r) => r.id === ruleId);
    return found(rule, C.MIRROR_RULE_NOT_FOUND, `filter ${filterId} has no rule ${ruleId}`, {
      filterId,
      ruleId,
    });
  }

  // ---- sessions ----

  listSessions(): MirrorSession[] {
    return this.table.sessions();
  }

  getSession(id: number): MirrorSession {
    return found(this.table.session(id), C.MIRROR_SESSION_NOT_FOUND, `no mirror session ${id}`, { id });
  }

  /** The running sessions with their filters, by priority (smallest value first: it takes a packet first). */
  runningSessions(): RunningSession[] {
    return this.table
      .sessions()
      .filter((s) => s.state === 'Running')
      .sort((a, b) => a.priority - b.priority)
      .map((session) => ({ session, filter: this.getFilter(session.filterId) }));
  }

  /**
   * `{name, description?, tags?, vni?, priority, packetLength?, filterId, sources, destination}`;
   * created Stopped, with a random unused VNI when none is given.
   */
  createSession(body: unknown): Promise<MirrorSession> {
    return this.serial(async () => {
      const spec = validateSession(body);
      await this.checkNotDestination(spec.sources, spec);
      return this.commit(() => {
        this.checkSessionReferences(spec, 0);
        const vni = spec.vni ?? this.allocateVni();
        return this.getSession(this.table.insertSession({ ...spec, vni }));
      });
    });
  }

  /** Changes name, description, tags, vni, priority, packetLength, filterId or destination. */
  modifySession(id: number, patch: unknown): Promise<MirrorSession> {
    return this.serial(async () => {
      const spec = mergeSessionPatch(this.getSession(id), patch);
      const destinationChanged = (patch as { destination?: unknown }).destination !== undefined;
      if (destinationChanged) await this.checkNotDestination(spec.sources, spec);
      return this.commit(() => {
        // Merged again: a change that needs no lookup (remove-source...) may have run meanwhile.
        const spec = mergeSessionPatch(this.getSession(id), patch);
        this.checkSessionReferences(spec, id);
        this.table.updateSession(id, spec);
        return this.getSession(id);
      });
    });
  }

  /** Adds a source (`interface:NAME`, `netns:NAME`, `netns:NAME/IFACE` or the object form). */
  addSource(id: number, source: unknown): Promise<MirrorSession> {
    return this.serial(async () => {
      const added = parseSource(source);
      const session = this.getSession(id);
      const text = formatSource(added);
      if (session.sources.some((s) => formatSource(s) === text)) {
        throw new UsageError(C.MIRROR_DUPLICATE_SOURCE, `session ${id} already mirrors ${text}`);
      }
      if (session.sources.length >= L.maxSources) {
        throw new UsageError(C.MIRROR_TOO_MANY_SOURCES, `a session has at most ${L.maxSources} sources`);
      }
      await this.checkNotDestination([added], session);
      return this.commit(() => {
        const now = this.getSession(id); // a source may have been removed meanwhile
        this.table.updateSession(id, { ...now, sources: [...now.sources, added] });
        return this.getSession(id);
      });
    });
  }

  /** Removes a source; the last one may go too (the session then mirrors nothing until one is added). */
  removeSource(id: number, source: unknown): MirrorSession {
    const text = formatSource(parseSource(source));
    return this.commit(() => {
      const session = this.getSession(id);
      const sources = session.sources.filter((s) => formatSource(s) !== text);
      if (sources.length === session.sources.length) {
        throw new MeshtapError(C.MIRROR_SOURCE_NOT_FOUND, `session ${id} has no source ${text}`, {
          id,
          source: text,
        });
      }
      this.table.updateSession(id, { ...session, sources });
      return this.getSession(id);
    });
  }

  /** Starts mirroring; starting a running session changes nothing. */
  startSession(id: number): MirrorSession {
    return this.setState(id, 'Running');
  }

  /** Stops mirroring; stopping a stopped session changes nothing. */
  stopSession(id: number): MirrorSession {
    return this.setState(id, 'Stopped');
  }

  /** Deletes a session; a running one stops (listeners see it gone). */
  deleteSession(id: number): MirrorSession {
    return this.commit(() => {
      const session = this.getSession(id);
      this.table.deleteSession(id);
      return session;
    });
  }

  private setState(id: number, state: MirrorSession['state']): MirrorSession {
    const session = this.getSession(id);
    if (session.state === state) return session;
    return this.commit(() => {
      this.getSession(id);
      this.table.setSessionState(id, state);
      return this.getSession(id);
    });
  }

  /** The checks that need the stored state: the filter exists, VNI and priority are unused. */
  private checkSessionReferences(spec: SessionSpec, selfId: number): void {
    this.getFilter(spec.filterId);
    if (spec.vni !== null) {
      const other = this.table.sessionWith('vni', spec.vni, selfId);
      if (other !== undefined) {
        throw new UsageError(C.MIRROR_DUPLICATE_VNI, `VNI ${spec.vni} is already used by session ${other}`);
      }
    }
    const other = this.table.sessionWith('priority', spec.priority, selfId);
    if (other !== undefined) {
      throw new UsageError(
        C.MIRROR_DUPLICATE_SESSION_PRIORITY,
        `priority ${spec.priority} is already used by session ${other}; session priorities are unique`,
      );
    }
  }

  private async checkNotDestination(
    sources: readonly MirrorSource[],
    session: Pick<SessionSpec, 'destination'>,
  ): Promise<void> {
    const addresses = await Promise.all(
      sources.map(async (source) => ({ source, addresses: await this.addressesOf(source) })),
    );
    checkSourceNotDestination(session.destination, addresses);
  }

  /** A random VNI no session uses: random draws, then a scan from a random point. */
  private allocateVni(): number {
    const used = this.table.usedVnis();
    const space = L.maxVni + 1;
    for (let i = 0; i < VNI_DRAWS; i++) {
      const vni = this.random(space);
      if (!used.has(vni)) return vni;
    }
    const start = this.random(space);
    for (let i = 0; i < space; i++) {
      const vni = (start + i) % space;
      if (!used.has(vni)) return vni;
    }
    throw new UsageError(C.MIRROR_VNI_EXHAUSTED, 'every VNI is in use');
  }

  // ---- plumbing ----

  /** Runs `write` in one transaction (a throw rolls everything back), then tells the listeners. */
  private commit<T>(write: () => T): T {
    const result = this.db.transaction(write).immediate();
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        process.emitWarning(`mirror change listener failed: ${(err as Error).message}`);
      }
    }
    return result;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** `value`, or a `*_NOT_FOUND` error when there is none. */
function found<T>(value: T | undefined, code: string, message: string, details: Record<string, unknown>): T {
  if (value === undefined) throw new MeshtapError(code, message, details);
  return value;
}

function allRules(f: MirrorFilter): MirrorRule[] {
  return [...f.inbound, ...f.outbound];
}

function ruleList(value: unknown, direction: 'inbound' | 'outbound'): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new UsageError(C.MIRROR_BAD_REQUEST, `${direction} must be a list of rules`);
  return value;
}
