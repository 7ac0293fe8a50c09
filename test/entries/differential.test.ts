import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry } from '../../src/dissect/entry.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import { entriesOf } from './run-entries.js';

/**
 * The whole pipeline against tshark on the corpus: for every HTTP/1.x, HTTP/2, gRPC,
 * Diameter and DNS message tshark finds, meshtap's entries carry the same method/path,
 * status, command/hop-by-hop/result code, DNS id and question. Compared as multisets per
 * capture (tshark and meshtap order exchanges differently across streams).
 */

function tsharkRows(file: string, decodeAs: string[], displayFilter: string, fields: string[]): string[][] {
  const args = [
    '-r',
    file,
    ...decodeAs.flatMap((d) => ['-d', d]),
    '-Y',
    displayFilter,
    '-T',
    'fields',
    '-E',
    'occurrence=a',
  ];
  for (const f of fields) args.push('-e', f);
  return runTool('tshark', args)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** Multiset of the comma-separated values of one tshark column, over all rows. */
function values(rows: string[][], column: number): string[] {
  return rows.flatMap((r) => (r[column] ?? '').split(',').filter((v) => v.length > 0)).sort();
}

function sorted(items: unknown[]): string[] {
  return items.map((v) => String(v)).sort();
}

const agreement: string[] = [];

function report(protocol: string, file: string, count: number): void {
  agreement.push(`${protocol} ${file}: ${count} messages agree`);
}

const HTTP1_FILES: Array<[string, string[]]> = [
  ['suricata-verify__http-protocol-nodup__input.pcap', []],
  ['zeek__docker-http-upgrade.pcap', ['tcp.port==2375,http']],
  ['zeek__cooper-grill-dvwa.pcapng', []],
  ['zeek__100-continue.pcap', []],
  ['pcapplusplus__one_http_stream_fin.pcap', []],
  ['tcpdump__ipv4_tcp_http_xml.pcap', []],
  ['pcapplusplus__four_ipv6_http_streams.pcap', []],
];

const HTTP2_FILES: Array<[string, string[]]> = [
  ['suricata-verify__http2-keywords__input.pcap', ['tcp.port==3000,http2']],
  ['suricata-verify__bug-5929-02__http2_multiple_headers.pcap', []],
  ['suricata-verify__http2-continuation__input.pcap', []],
  ['ndpi__http2.pcapng', ['tcp.port==29518,http2', 'tcp.port==37824,http2']],
  ['packt-grpc__Unary.pcapng', ['tcp.port==50051,http2']],
  ['packt-grpc__Server_Streaming.pcapng', ['tcp.port==50051,http2']],
  ['packt-grpc__Client_Streaming.pcapng', ['tcp.port==50051,http2']],
  ['packt-grpc__Bidi_Streaming.pcapng', ['tcp.port==50051,http2']],
];

describe('entries: whole pipeline against tshark', () => {
  test('HTTP/1.x: method, URI and status of every message', async () => {
    for (const [name, decodeAs] of HTTP1_FILES) {
      const file = corpusPcap(name);
      const entries = (await entriesOf(file)).filter((e) => e.protocol === 'http');
      const requests = tsharkRows(file, decodeAs, 'http.request', [
        'http.request.method',
        'http.request.uri',
      ]);
      const responses = tsharkRows(file, decodeAs, 'http.response', ['http.response.code']);
      const ours = entries.filter((e) => e.request).map((e) => `${e.request?.method} ${e.request?.path}`);
      const theirs = requests.flatMap((r) => {
        const methods = r[0].split(',');
        const uris = r[1].split(',');
        return methods.map((m, i) => `${m} ${uris[i]}`);
      });
      assert.deepEqual(sorted(ours), sorted(theirs), `${name}: requests`);
      // Interim 1xx responses are tshark messages of their own; meshtap records them on the exchange.
      const ourStatuses = entries.flatMap((e) => {
        const res = e.response as { status?: number | null; interim?: Array<{ status: number }> } | null;
        if (!res) return [];
        const interim = (res.interim ?? []).map((i) => i.status);
        return res.status == null ? interim : [...interim, res.status];
      });
      assert.deepEqual(sorted(ourStatuses), values(responses, 0), `${name}: statuses`);
      report('http', name, ours.length + ourStatuses.length);
    }
  });

  test('HTTP/2 and gRPC: method, path and status of every stream', async () => {
    for (const [name, decodeAs] of HTTP2_FILES) {
      const file = corpusPcap(name);
      const entries = (await entriesOf(file)).filter((e) => e.protocol === 'http2' || e.protocol === 'grpc');
      const rows = tsharkRows(file, decodeAs, 'http2.type == 1', [
        'http2.headers.method',
        'http2.headers.path',
        'http2.headers.status',
      ]);
      const method = (e: Entry) => String(e.request?.method ?? e.request?.httpMethod);
      const isGrpc = (e: Entry) => e.protocol === 'grpc';
      assert.deepEqual(
        sorted(
          entries.filter((e) => e.request).map((e) => (isGrpc(e) ? `${e.request?.httpMethod}` : method(e))),
        ),
        values(rows, 0),
        `${name}: methods`,
      );
      assert.deepEqual(
        sorted(entries.filter((e) => e.request).map((e) => e.request?.path)),
        values(rows, 1),
        `${name}: paths`,
      );
      assert.deepEqual(
        sorted(entries.filter((e) => e.response?.status != null).map((e) => e.response?.status)),
        values(rows, 2),
        `${name}: statuses`,
      );
      report(entries.some(isGrpc) ? 'grpc' : 'http2', name, entries.length);
    }
  });

  test('gRPC: service/method path and grpc-status from the trailers', async () => {
    for (const [name, decodeAs] of HTTP2_FILES.filter(([n]) => n.startsWith('packt-grpc'))) {
      const file = corpusPcap(name);
      const calls = (await entriesOf(file)).filter((e) => e.protocol === 'grpc');
      const rows = tsharkRows(file, decodeAs, 'http2.header.name == "grpc-status"', [
        'http2.header.name',
        'http2.header.value',
      ]);
      const statuses = rows.flatMap((r) => {
        const names = r[0].split(',');
        const vals = r[1].split(',');
        return names.flatMap((n, i) => (n === 'grpc-status' ? [vals[i]] : []));
      });
      assert.ok(calls.length > 0, name);
      assert.deepEqual(
        sorted(calls.map((c) => c.response?.grpcStatus)),
        statuses.sort(),
        `${name}: grpc-status`,
      );
      for (const call of calls) assert.match(String(call.request?.path), /^\/greet\.GreetService\/\w+$/);
    }
  });

  test('Diameter over TCP and SCTP: command, R flag, hop-by-hop id and Result-Code', async () => {
    for (const name of [
      'ndpi__diameter.pcap',
      'magma__nsa_connection.pcap',
      'magma__gx_gy_combined_05_210505_133111-1.pcapng',
    ]) {
      const file = corpusPcap(name);
      const entries = (await entriesOf(file)).filter((e) => e.protocol === 'diameter');
      const rows = tsharkRows(file, [], 'diameter', [
        'diameter.cmd.code',
        'diameter.flags.request',
        'diameter.hopbyhopid',
        'diameter.Result-Code',
      ]);
      const theirs = rows.flatMap((r) => {
        const codes = r[0].split(',');
        const flags = r[1].split(',');
        const hops = r[2].split(',');
        return codes.map(
          (c, i) => `${c} ${flags[i] === '1' || flags[i] === 'True' ? 'R' : 'A'} ${Number(hops[i])}`,
        );
      });
      const ours = entries.flatMap((e) =>
        [e.request, e.response]
          .filter((m): m is Record<string, unknown> => m !== null)
          .map(
            (m) =>
              `${m.commandCode} ${(m.flags as { request: boolean }).request ? 'R' : 'A'} ${m.hopByHopId}`,
          ),
      );
      assert.deepEqual(sorted(ours), theirs.sort(), `${name}: messages`);
      // tshark lists Result-Code AVPs nested in grouped AVPs too (e.g. per credit-control
      // service); an answer's result is its top-level one, so compare the values seen.
      const ourResults = new Set(
        entries.flatMap((e) => (e.response?.resultCode != null ? [String(e.response.resultCode)] : [])),
      );
      for (const code of ourResults)
        assert.ok(values(rows, 3).includes(code), `${name}: Result-Code ${code}`);
      assert.equal(ourResults.size > 0, values(rows, 3).length > 0, `${name}: Result-Codes present`);
      report('diameter', name, ours.length);
    }
  });

  test('DNS over UDP and TCP: id and question of every query and response', async () => {
    for (const name of [
      'tcpdump__dns_udp.pcap',
      'tcpdump__dns_tcp.pcap',
      'pcapplusplus__DnsPackets.pcap',
      'pcapplusplus__dns_over_tcp.pcapng',
      'zeek__ipv6-fragmented-dns.pcap',
    ]) {
      const file = corpusPcap(name);
      const entries = (await entriesOf(file)).filter((e) => e.protocol === 'dns');
      // mDNS and LLMNR are their own protocols to tshark, with the same fields.
      const rows = tsharkRows(file, [], 'dns or mdns or llmnr', [
        'dns.id',
        'dns.flags.response',
        'dns.qry.name',
      ]);
      const theirs = rows.map(
        (r) => `${Number(r[0])} ${r[1] === '1' || r[1] === 'True' ? 'R' : 'Q'} ${r[2].split(',')[0] ?? ''}`,
      );
      const ours = entries.flatMap((e) =>
        [e.request, e.response]
          .filter((m): m is Record<string, unknown> => m !== null)
          .map((m) => {
            const q = (m.questions as Array<{ name: string }>)[0];
            return `${m.id} ${m.isResponse ? 'R' : 'Q'} ${q ? q.name.replace(/\.$/, '') : ''}`;
          }),
      );
      assert.deepEqual(sorted(ours), theirs.sort(), `${name}: messages`);
      report('dns', name, ours.length);
    }
  });

  test('agreement summary', () => {
    console.log(agreement.join('\n'));
    assert.ok(agreement.length > 0);
  });
});
