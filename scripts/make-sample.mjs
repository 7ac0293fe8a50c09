// Regenerates samples/http-h2c.pcap: run `tcpdump -i lo -w samples/http-h2c.pcap "tcp port 8080 or tcp port 8081"`
// in one shell and this script in another. All traffic stays on 127.0.0.1.
import http from 'node:http';
import http2 from 'node:http2';
const srv = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ path: req.url, ok: true }));
});
await new Promise((r) => srv.listen(8080, '127.0.0.1', r));
const h2 = http2.createServer();
h2.on('stream', (stream, headers) => {
  stream.respond({ ':status': headers[':path'] === '/missing' ? 404 : 200, 'content-type': 'text/plain' });
  stream.end('hello from h2c ' + headers[':path']);
});
await new Promise((r) => h2.listen(8081, '127.0.0.1', r));
const agent = new http.Agent({ keepAlive: true });
for (const p of ['/api/users', '/api/orders?id=7', '/healthz']) {
  await new Promise((resolve) =>
    http.get({ host: '127.0.0.1', port: 8080, path: p, agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }),
  );
}
await new Promise((resolve) => {
  const req = http.request(
    {
      host: '127.0.0.1',
      port: 8080,
      path: '/api/users',
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json' },
    },
    (res) => {
      res.resume();
      res.on('end', resolve);
    },
  );
  req.end('{"name":"ada"}');
});
agent.destroy();
const client = http2.connect('http://127.0.0.1:8081');
for (const p of ['/', '/missing', '/items/42']) {
  await new Promise((resolve) => {
    const s = client.request({ ':path': p });
    s.resume();
    s.on('end', resolve);
    s.end();
  });
}
client.close();
await new Promise((r) => setTimeout(r, 300));
srv.close();
h2.close();
