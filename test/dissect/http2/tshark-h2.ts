import { runTool } from '../../helpers/tools.js';

/** What tshark decodes for one HTTP/2 stream of one TCP connection. */
export interface TsharkH2Stream {
  tcpStream: number;
  h2Stream: number;
  method?: string;
  path?: string;
  /** Final (non-1xx) :status. */
  status?: string;
  grpcStatus?: string;
  contentType?: string;
}

type Json = Record<string, unknown>;

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Runs tshark with decode-as for the file's prior-knowledge h2c port (upgrades it finds alone) and collects headers per (tcp stream, h2 stream). */
export function tsharkHttp2(file: string, decodeAsPorts: readonly number[]): TsharkH2Stream[] {
  const args = ['-r', file];
  for (const port of decodeAsPorts) args.push('-d', `tcp.port==${port},http2`);
  const out = runTool('tshark', [...args, '-Y', 'http2', '-T', 'json', '--no-duplicate-keys']);
  const streams = new Map<string, TsharkH2Stream>();
  for (const packet of JSON.parse(out) as Array<{ _source: { layers: Json } }>) {
    const layers = packet._source.layers;
    const tcpStream = Number((layers.tcp as Json)['tcp.stream']);
    for (const h2 of asArray(layers.http2 as Json | Json[])) {
      for (const frame of asArray(h2['http2.stream'] as Json | Json[]))
        collectFrame(streams, tcpStream, frame);
    }
  }
  return [...streams.values()];
}

function collectFrame(streams: Map<string, TsharkH2Stream>, tcpStream: number, frame: Json): void {
  const headers = asArray(frame['http2.header'] as Json | Json[]);
  if (headers.length === 0) return;
  const h2Stream = Number(frame['http2.streamid']);
  const key = `${tcpStream}/${h2Stream}`;
  const s = streams.get(key) ?? { tcpStream, h2Stream };
  streams.set(key, s);
  for (const h of headers) {
    const name = String(h['http2.header.name']);
    const value = String(h['http2.header.value'] ?? '');
    if (name === ':method') s.method ??= value;
    else if (name === ':path') s.path ??= value;
    else if (name === ':status' && value[0] !== '1') s.status ??= value;
    else if (name === 'grpc-status') s.grpcStatus ??= value;
    else if (name === 'content-type') s.contentType ??= value;
  }
}
