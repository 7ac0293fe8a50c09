import type { ArithNode, DirQual, FilterAst, FilterNode, IdNode, Qualifiers, RelOp } from './ast.js';
import { FilterSyntaxError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { parseArith } from './parse-arith.js';
import { checkDepth, checkNesting } from './limits.js';
import { PNAME_TOKENS } from './tokens.js';

const DQUAL_TOKENS: ReadonlyMap<string, DirQual> = new Map([
  ['ADDR1', 'addr1'],
  ['ADDR2', 'addr2'],
  ['ADDR3', 'addr3'],
  ['ADDR4', 'addr4'],
  ['RA', 'ra'],
  ['TA', 'ta'],
]);
const AQUAL_TOKENS = new Map([
  ['HOST', 'host'],
  ['NET', 'net'],
  ['PORT', 'port'],
  ['PORTRANGE', 'portrange'],
] as const);
const RELOPS: ReadonlyMap<string, RelOp> = new Map([
  ['>', '>'],
  ['GEQ', '>='],
  ['=', '='],
  ['LEQ', '<='],
  ['<', '<'],
  ['NEQ', '!='],
]);
const ID_FOLLOW = new Set(['AND', 'OR', ')', 'EOF']);
const QERR: Qualifiers = { proto: undefined, dir: undefined, addr: undefined };

interface Parsed {
  node: FilterNode;
  q: Qualifiers;
}

/** Recursive-descent parser reproducing libpcap's bison grammar, including qualifier inheritance. */
export class Parser {
  private i = 0;

  constructor(private readonly toks: Token[]) {}

  get tok(): Token {
    return this.toks[this.i]!;
  }

  peek(n: number): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }

  next(): Token {
    const t = this.tok;
    if (t.type !== 'EOF') this.i++;
    return t;
  }

  fail(t: Token = this.tok): never {
    throw new FilterSyntaxError(
      t.type === 'EOF' ? 'syntax error at end of expression' : `syntax error near '${t.text}'`,
      t.pos,
    );
  }

  expect(type: string): Token {
    if (this.tok.type !== type) this.fail();
    return this.next();
  }

  parseProgram(): FilterAst {
    if (this.tok.type === 'EOF') return null;
    const { node } = this.parseExpr(QERR);
    if (this.tok.type !== 'EOF') this.fail();
    return node;
  }

  private parseExpr(ctx: Qualifiers): Parsed {
    let left = this.parseTerm(ctx);
    while (this.tok.type === 'AND' || this.tok.type === 'OR') {
      const opTok = this.next();
      const right = this.tryId(left.q) ?? this.parseTerm(left.q);
      const k = opTok.type === 'AND' ? 'and' : 'or';
      left = { node: { k, a: left.node, b: right.node, pos: opTok.pos }, q: right.q };
    }
    return left;
  }

  /** `expr and id`: an identifier inheriting qualifiers, when what follows allows it. */
  private tryId(ctx: Qualifiers): Parsed | undefined {
    const save = this.i;
    try {
      const node = this.parseId(ctx);
      if (ID_FOLLOW.has(this.tok.type)) return { node, q: ctx };
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
    }
    this.i = save;
    return undefined;
  }

  private parseTerm(ctx: Qualifiers): Parsed {
    if (this.tok.type === '!') {
      const t = this.next();
      const inner = this.parseTerm(ctx);
      return { node: { k: 'not', a: inner.node, pos: t.pos }, q: inner.q };
    }
    return this.parseRterm(ctx);
  }

  private parseRterm(ctx: Qualifiers): Parsed {
    const t = this.tok;
    if (t.type === '(') {
      const rel = this.tryRelation();
      if (rel) return { node: rel, q: QERR };
      this.next();
      const inner = this.parseExpr(ctx);
      this.expect(')');
      return { node: inner.node, q: ctx };
    }
    if (t.type === 'NUM' || t.type === '-' || t.type === 'LEN')
      return { node: this.parseRelation(), q: QERR };
    const pname = PNAME_TOKENS.get(t.type);
    if (pname !== undefined && this.peek(1).type === '[') return { node: this.parseRelation(), q: QERR };
    const other = this.parseOther();
    if (other) return { node: other, q: QERR };
    if (pname !== undefined && !this.startsHead(1)) {
      this.next();
      return { node: { k: 'pname', proto: pname, pos: t.pos }, q: QERR };
    }
    const q = this.parseHead();
    return { node: this.parseId(q), q };
  }

  private startsHead(n: number): boolean {
    const ty = this.peek(n).type;
    return (
      ty === 'SRC' ||
      ty === 'DST' ||
      DQUAL_TOKENS.has(ty) ||
      AQUAL_TOKENS.has(ty as never) ||
      ty === 'PROTO' ||
      ty === 'PROTOCHAIN' ||
      ty === 'GATEWAY'
    );
  }

  private tryRelation(): FilterNode | undefined {
    const save = this.i;
    try {
      return this.parseRelation();
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      this.i = save;
      return undefined;
    }
  }

  private parseRelation(): FilterNode {
    const a = parseArith(this);
    const opTok = this.tok;
    const op = RELOPS.get(opTok.type);
    if (!op) this.fail();
    this.next();
    const b = parseArith(this);
    return { k: 'rel', op, a, b, pos: opTok.pos };
  }

  /** `head`: [pname] then direction and/or address-type qualifiers, or proto/protochain/gateway. */
  private parseHead(): Qualifiers {
    let proto = 'default';
    const pname = PNAME_TOKENS.get(this.tok.type);
    if (pname !== undefined) {
      proto = pname;
      this.next();
    }
    const ty = this.tok.type;
    if (ty === 'PROTO' || ty === 'PROTOCHAIN' || ty === 'GATEWAY') {
      this.next();
      return {
        proto,
        dir: 'default',
        addr: ty === 'PROTO' ? 'proto' : ty === 'PROTOCHAIN' ? 'protochain' : 'gateway',
      };
    }
    const dir = this.parseDqual();
    const aq = AQUAL_TOKENS.get(this.tok.type as never);
    if (aq) this.next();
    if (dir === 'default' && !aq) this.fail();
    return { proto, dir, addr: aq ?? 'default' };
  }

  private parseDqual(): DirQual {
    const ty = this.tok.type;
    const fixed = DQUAL_TOKENS.get(ty);
    if (fixed) {
      this.next();
      return fixed;
    }
    if (ty !== 'SRC' && ty !== 'DST') return 'default';
    this.next();
    const join = this.tok.type;
    if (join !== 'OR' && join !== 'AND') return ty === 'SRC' ? 'src' : 'dst';
    // bison shifts here: "src or" must continue as "src or dst".
    this.next();
    if (this.tok.type !== (ty === 'SRC' ? 'DST' : 'SRC')) this.fail();
    this.next();
    return join === 'OR' ? 'or' : 'and';
  }

  /** `id`: an address, number or name, possibly negated or a parenthesised list sharing `ctx`. */
  parseId(ctx: Qualifiers): FilterNode {
    const t = this.tok;
    if (t.type === '!') {
      this.next();
      return { k: 'not', a: this.parseId(ctx), pos: t.pos };
    }
    if (t.type === '(') {
      this.next();
      let node = this.parseId(ctx);
      while (this.tok.type === 'AND' || this.tok.type === 'OR') {
        const op = this.next();
        node = { k: op.type === 'AND' ? 'and' : 'or', a: node, b: this.parseId(ctx), pos: op.pos };
      }
      this.expect(')');
      return node;
    }
    return this.parseNid(ctx);
  }

  private parseNid(ctx: Qualifiers): IdNode {
    const t = this.tok;
    const base = { k: 'id' as const, text: t.text, num: t.num, q: ctx, pos: t.pos };
    switch (t.type) {
      case 'NUM':
      case 'ID':
      case 'EID':
        this.next();
        return { ...base, kind: t.type };
      case 'HID':
        this.next();
        if (this.tok.type === '/') {
          this.next();
          return { ...base, kind: 'HID', prefixLen: this.expect('NUM').num };
        }
        if (this.tok.type === 'NETMASK') {
          this.next();
          return { ...base, kind: 'HID', mask: this.expect('HID').text };
        }
        return { ...base, kind: 'HID' };
      case 'HID6':
        this.next();
        if (this.tok.type === '/') {
          this.next();
          return { ...base, kind: 'HID6', prefixLen: this.expect('NUM').num };
        }
        return { ...base, kind: 'HID6' };
      default:
        this.fail();
    }
  }

  /** pnum: NUM or a parenthesised pnum. */
  parsePnum(): number {
    if (this.tok.type === '(') {
      this.next();
      const n = this.parsePnum();
      this.expect(')');
      return n;
    }
    return this.expect('NUM').num;
  }

  private optionalPnum(): number | undefined {
    return this.tok.type === 'NUM' || this.tok.type === '(' ? this.parsePnum() : undefined;
  }

  /** libpcap's `other` primitives: broadcast/multicast, less/greater, vlan, mpls, pppoe, geneve, llc... */
  private parseOther(): FilterNode | undefined {
    const t = this.tok;
    const pname = PNAME_TOKENS.get(t.type);
    const after = pname !== undefined ? this.peek(1).type : t.type;
    if (after === 'BROADCAST' || after === 'MULTICAST') {
      if (pname !== undefined) this.next();
      this.next();
      return { k: after === 'BROADCAST' ? 'broadcast' : 'multicast', proto: pname ?? 'default', pos: t.pos };
    }
    if (pname !== undefined) return undefined;
    switch (t.type) {
      case 'LESS':
      case 'GREATER':
        this.next();
        return { k: t.type === 'LESS' ? 'less' : 'greater', n: this.expect('NUM').num, pos: t.pos };
      case 'CBYTE':
        return this.parseByteop();
      case 'VLAN':
      case 'MPLS':
      case 'PPPOES':
      case 'GENEVE':
        this.next();
        return { k: t.type.toLowerCase() as 'vlan', n: this.optionalPnum(), pos: t.pos };
      case 'PPPOED':
        this.next();
        return { k: 'pppoed', pos: t.pos };
      case 'LLC':
        return this.parseLlc();
      case 'INBOUND':
      case 'OUTBOUND':
        this.next();
        return { k: 'unsupported', what: t.text, pos: t.pos };
      case 'IFINDEX':
        this.next();
        this.expect('NUM');
        return { k: 'unsupported', what: t.text, pos: t.pos };
      case 'TYPE':
      case 'SUBTYPE':
      case 'DIR':
        throw new FilterSyntaxError(`802.11 '${t.text}' filters are not supported by meshtap`, t.pos);
      default:
        return undefined;
    }
  }

  private parseByteop(): FilterNode {
    const t = this.next();
    const index = this.expect('NUM').num;
    const opTok = this.next();
    if (!['&', '|', '<', '>', '='].includes(opTok.type)) this.fail(opTok);
    return { k: 'byte', index, op: opTok.type, value: this.expect('NUM').num, pos: t.pos };
  }

  private parseLlc(): FilterNode {
    const t = this.next();
    if (this.tok.type === 'ID') return { k: 'llc', sub: this.next().text, pos: t.pos };
    if (this.tok.type === 'PF_RNR') {
      this.next();
      return { k: 'llc', sub: 'rnr', pos: t.pos };
    }
    return { k: 'llc', sub: undefined, pos: t.pos };
  }
}

/** Parses a pcap-filter expression into its syntax tree (null for an empty expression). */
export function parseFilter(expr: string): FilterAst {
  const tokens = tokenize(expr);
  checkNesting(tokens);
  const ast = new Parser(tokens).parseProgram();
  checkDepth(ast);
  return ast;
}

export type { ArithNode };
