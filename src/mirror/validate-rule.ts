/**
 * Mirror filter rules as clients write them (API bodies, CLI flags) turned into what is
 * stored: protocol, CIDR blocks, port ranges, priority, policy, each checked against the
 * model's limits, and a filter's rule set checked as a whole (count, priority uniqueness).
 */
import { UsageError } from '../util/errors.js';
import { parseCidr, parsePortRange } from './cidr.js';
import {
  MIRROR_LIMITS as L,
  type MirrorRule,
  type RuleDirection,
  type RulePolicy,
  type RuleProtocol,
} from './types.js';
import { MIRROR_CODES as C, requestObject, validInt } from './validate.js';

/** A rule as a client sends it; ports are `a/b`, `-1/-1`, `{from, to}` or null/absent (any). */
export interface RuleRequest {
  direction?: unknown;
  priority?: unknown;
  protocol?: unknown;
  sourceCidr?: unknown;
  destinationCidr?: unknown;
  sourcePorts?: unknown;
  destinationPorts?: unknown;
  policy?: unknown;
}

/** A validated rule, before it has an id and a filter. */
export type RuleSpec = Omit<MirrorRule, 'id' | 'filterId'>;

const RULE_FIELDS = [
  'priority',
  'protocol',
  'sourceCidr',
  'destinationCidr',
  'sourcePorts',
  'destinationPorts',
  'policy',
];
/** Fields of a rule sent on its own (add, modify): it names its direction. */
export const RULE_REQUEST_FIELDS = ['direction', ...RULE_FIELDS] as const;
const PROTOCOLS: readonly RuleProtocol[] = ['ALL', 'ICMP', 'TCP', 'UDP'];
const DIRECTIONS: readonly RuleDirection[] = ['inbound', 'outbound'];

/**
 * Checks one rule. `direction` is given when the rule comes inside a filter's inbound or
 * outbound list (the body then must not name one); otherwise the body names it.
 */
export function validateRule(body: unknown, direction?: RuleDirection): RuleSpec {
  const fields = direction === undefined ? RULE_REQUEST_FIELDS : RULE_FIELDS;
  const req = requestObject(body, fields, 'a rule') as RuleRequest;
  const protocol = validProtocol(req.protocol);
  const source = parseCidr(req.sourceCidr, 'sourceCidr');
  const destination = parseCidr(req.destinationCidr, 'destinationCidr');
  if (source.family !== destination.family) {
    throw new UsageError(
      C.MIRROR_CIDR_FAMILY_MISMATCH,
      `sourceCidr ${source.text} and destinationCidr ${destination.text} must both be IPv4 or both IPv6 (a packet has one family); use one rule per family`,
    );
  }
  return {
    direction: direction ?? validDirection(req.direction),
    priority: validInt(
      req.priority,
      L.minRulePriority,
      L.maxRulePriority,
      'rule priority',
      C.MIRROR_BAD_PRIORITY,
    ),
    protocol,
    sourceCidr: source.text,
    destinationCidr: destination.text,
    sourcePorts: validPorts(req.sourcePorts, protocol, 'sourcePorts'),
    destinationPorts: validPorts(req.destinationPorts, protocol, 'destinationPorts'),
    policy: validPolicy(req.policy),
  };
}

/**
 * A modified rule: the stored rule with the patch's fields over it, validated as a whole.
 * Changing the protocol to ALL or ICMP without naming ports clears them, since those
 * protocols have none; naming ports with them is still an error.
 */
export function mergeRulePatch(rule: MirrorRule, patch: unknown): RuleSpec {
  const p = requestObject(patch, RULE_REQUEST_FIELDS, 'a rule change') as RuleRequest;
  const portless = typeof p.protocol === 'string' && !portsAllowed(p.protocol.toUpperCase());
  const merged: RuleRequest = {
    direction: rule.direction,
    priority: rule.priority,
    protocol: rule.protocol,
    sourceCidr: rule.sourceCidr,
    destinationCidr: rule.destinationCidr,
    sourcePorts: portless ? undefined : rule.sourcePorts,
    destinationPorts: portless ? undefined : rule.destinationPorts,
    policy: rule.policy,
    ...definedFields(p),
  };
  return validateRule(merged);
}

/** The fields a patch sets: an absent field keeps the stored value (null still means "any port"). */
function definedFields(p: RuleRequest): RuleRequest {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as RuleRequest;
}

/**
 * A filter's rules taken together: at most 10 (inbound and outbound counted together, as
 * "at most 10 rules" reads per filter), priorities unique within each direction.
 */
export function checkRuleSet(rules: ReadonlyArray<Pick<RuleSpec, 'direction' | 'priority'>>): void {
  checkRuleCount(rules.length);
  const seen = new Set<string>();
  for (const { direction, priority } of rules) {
    const key = `${direction}/${priority}`;
    if (seen.has(key)) {
      throw new UsageError(
        C.MIRROR_DUPLICATE_PRIORITY,
        `two ${direction} rules of the filter have priority ${priority}; priorities are unique within a direction`,
      );
    }
    seen.add(key);
  }
}

export function checkRuleCount(count: number): void {
  if (count > L.maxRulesPerFilter) {
    throw new UsageError(
      C.MIRROR_TOO_MANY_RULES,
      `a filter has at most ${L.maxRulesPerFilter} rules (inbound and outbound together), not ${count}`,
    );
  }
}

function validDirection(value: unknown): RuleDirection {
  const v = typeof value === 'string' ? value.toLowerCase() : value;
  if (!DIRECTIONS.includes(v as RuleDirection)) {
    throw new UsageError(
      C.MIRROR_BAD_DIRECTION,
      `direction must be inbound or outbound, not ${JSON.stringify(value)}`,
    );
  }
  return v as RuleDirection;
}

function validProtocol(value: unknown): RuleProtocol {
  const v = typeof value === 'string' ? value.toUpperCase() : value;
  if (!PROTOCOLS.includes(v as RuleProtocol)) {
    throw new UsageError(
      C.MIRROR_BAD_PROTOCOL,
      `protocol must be one of ${PROTOCOLS.join(', ')}, not ${JSON.stringify(value)}`,
    );
  }
  return v as RuleProtocol;
}

function portsAllowed(protocol: string): boolean {
  return protocol === 'TCP' || protocol === 'UDP';
}

/** ALL and ICMP match any port: only -1/-1 (or nothing) may be written for them. */
function validPorts(value: unknown, protocol: RuleProtocol, field: string) {
  const range = parsePortRange(value, field);
  if (range !== null && !portsAllowed(protocol)) {
    throw new UsageError(
      C.MIRROR_PORTS_NOT_ALLOWED,
      `${field} must be -1/-1 (any) or left out for protocol ${protocol}; only TCP and UDP rules have ports`,
    );
  }
  return range;
}

/** Collect, or DoNotCollect written any of the ways people write it (`Do-not-collect`, `do not collect`). */
function validPolicy(value: unknown): RulePolicy {
  const v = typeof value === 'string' ? value.replace(/[\s_-]/g, '').toLowerCase() : '';
  if (v === 'collect') return 'Collect';
  if (v === 'donotcollect') return 'DoNotCollect';
  throw new UsageError(
    C.MIRROR_BAD_POLICY,
    `policy must be Collect or DoNotCollect (Do-not-collect), not ${JSON.stringify(value)}`,
  );
}
