import { createRequire } from 'node:module';

/**
 * The programs the tap lab runs inside its network namespaces, as `node -e` scripts: servers
 * on the web host, bounded clients that print what they themselves saw (the tests' expected
 * values), a UDP sender.
 */

export const H1_PORT = 8080;
export const H2_PORT = 8081;
/** gRPC's usual port: plaintext (h2c, prior knowledge), as in-cluster gRPC mostly is. */
export const GRPC_PORT = 50051;

/** Host 0's servers: HTTP/1.1 and h2c (prior knowledge), 200 with a small body, 404 for /missing. */
export const SERVERS = `const http = require('node:http'), http2 = require('node:http2');
const handler = (req, res) => {
  const found = req.url !== '/missing';
  res.writeHead(found ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(found ? 'item ' + req.url + '\\n' : 'no such item\\n');
};
let up = 0;
const ready = () => { if (++up === 2) console.log('listening'); };
http.createServer(handler).listen(${H1_PORT}, '0.0.0.0', ready);
http2.createServer(handler).listen(${H2_PORT}, '0.0.0.0', ready);`;

/**
 * A bounded client: HTTP/1.1 GETs on one keep-alive connection, then h2c requests on one
 * session; prints the statuses it got, in order, as JSON.
 */
export function clientScript(server: string, h1Paths: string[], h2Paths: string[]): string {
  return `const http = require('node:http'), http2 = require('node:http2');
setTimeout(() => { console.error('client timed out'); process.exit(2); }, 10000).unref();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const h1 = (path) => new Promise((resolve, reject) => {
  http.get({ host: '${server}', port: ${H1_PORT}, path, agent }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  }).on('error', reject);
});
const h2 = (session, path) => new Promise((resolve, reject) => {
  const req = session.request({ ':path': path });
  let status = 0;
  req.on('response', (headers) => { status = headers[':status']; });
  req.resume();
  req.on('end', () => resolve(status));
  req.on('error', reject);
});
(async () => {
  const statuses = [];
  for (const p of ${JSON.stringify(h1Paths)}) statuses.push(await h1(p));
  agent.destroy();
  if (${h2Paths.length} > 0) {
    const session = http2.connect('http://${server}:${H2_PORT}');
    for (const p of ${JSON.stringify(h2Paths)}) statuses.push(await h2(session, p));
    await new Promise((resolve) => session.close(resolve));
  }
  console.log(JSON.stringify(statuses));
})().catch((err) => { console.error(err); process.exit(1); });`;
}

/**
 * A UDP sender that prints "ready" and, on SIGUSR2, sends `count` datagrams to each `ip`:`port`
 * one after another, then exits: started ahead, it sends at once when told (node takes a
 * while to start on a busy machine). Without the signal it gives up after 20 s.
 */
export function udpScript(targets: ReadonlyArray<[ip: string, count: number]>, port: number): string {
  return `const socket = require('node:dgram').createSocket('udp4');
const payload = Buffer.from('meshtap lab datagram');
const queue = ${JSON.stringify(targets)}.flatMap(([ip, n]) => Array(n).fill(ip));
const giveUp = setTimeout(() => process.exit(3), 20000);
const next = () => (queue.length > 0 ? socket.send(payload, ${port}, queue.shift(), next) : (clearTimeout(giveUp), socket.close()));
process.once('SIGUSR2', next);
console.log('ready');`;
}

export const GRPC_SERVICE = 'meshtap.lab.Shop';
/** The name GetItem answers NOT_FOUND for, and the message it sends with it. */
export const GRPC_MISSING = { name: 'nope', message: 'no such item' };

/**
 * What the gRPC server and client share: @grpc/grpc-js (by absolute path: `node -e` resolves
 * modules from its working directory, which is not necessarily this project) and the service,
 * with no .proto: every message is `{ string name = 1; }`, encoded by hand (tag 0x0a, a
 * one-byte length: names stay under 128 bytes).
 */
const GRPC_PRELUDE = `const grpc = require(${JSON.stringify(createRequire(import.meta.url).resolve('@grpc/grpc-js'))});
const encode = (name) => { const text = Buffer.from(name); return Buffer.concat([Buffer.from([0x0a, text.length]), text]); };
const decode = (bytes) => bytes.subarray(2).toString();
const method = (name, responseStream) => ({
  path: '/${GRPC_SERVICE}/' + name, requestStream: false, responseStream,
  requestSerialize: encode, requestDeserialize: decode, responseSerialize: encode, responseDeserialize: decode,
});
const service = { GetItem: method('GetItem', false), ListItems: method('ListItems', true) };`;

/**
 * An insecure gRPC server: unary GetItem answers "item <name>", or NOT_FOUND for
 * GRPC_MISSING.name; server-streaming ListItems sends "<name> 1" to "<name> 3". Prints "listening".
 */
export const GRPC_SERVER = `${GRPC_PRELUDE}
const server = new grpc.Server();
server.addService(service, {
  GetItem: (call, done) => call.request === '${GRPC_MISSING.name}'
    ? done({ code: grpc.status.NOT_FOUND, details: '${GRPC_MISSING.message}' })
    : done(null, 'item ' + call.request),
  ListItems: (call) => { for (let i = 1; i <= 3; i++) call.write(call.request + ' ' + i); call.end(); },
});
server.bindAsync('0.0.0.0:${GRPC_PORT}', grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) { console.error(err); process.exit(1); }
  console.log('listening');
});`;

export interface GrpcCall {
  method: 'GetItem' | 'ListItems';
  name: string;
}

/** What the gRPC client saw of one call: the status code and details, and the replies. */
export interface GrpcOutcome {
  path: string;
  code: number;
  details: string;
  replies: string[];
}

/**
 * A bounded gRPC client: the calls one after another on one channel (5 s deadline each),
 * then prints a GrpcOutcome per call, in order, as JSON.
 */
export function grpcClientScript(server: string, calls: GrpcCall[]): string {
  return `${GRPC_PRELUDE}
setTimeout(() => { console.error('gRPC client timed out'); process.exit(2); }, 10000).unref();
const Shop = grpc.makeGenericClientConstructor(service, '${GRPC_SERVICE}');
const client = new Shop('${server}:${GRPC_PORT}', grpc.credentials.createInsecure());
const call = ({ method, name }) => new Promise((resolve) => {
  const replies = [];
  const options = { deadline: Date.now() + 5000 };
  const outcome = (status) => resolve({ path: service[method].path, code: status.code, details: status.details, replies });
  // The status event comes last: after the unary callback, after a stream's last message.
  const started = service[method].responseStream
    ? client[method](name, options).on('data', (reply) => replies.push(reply)).on('error', () => {})
    : client[method](name, new grpc.Metadata(), options, (err, reply) => err || replies.push(reply));
  started.on('status', outcome);
});
(async () => {
  const outcomes = [];
  for (const c of ${JSON.stringify(calls)}) outcomes.push(await call(c));
  client.close();
  console.log(JSON.stringify(outcomes));
})().catch((err) => { console.error(err); process.exit(1); });`;
}
