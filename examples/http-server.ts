// `npx tsx examples/http-server.ts`: two stacks on a virtual wire; B serves HTTP/1.1 on port 80, A
// fetches three paths over one keep-alive connection and prints what it got, then everything
// closes and the process exits by itself.
import { Sim } from '../host/sim.ts';
import { HostNet } from '../host/net.ts';
import { HttpClient, serveHttp } from './http.ts';

const sim = new Sim({ seed: 1 });
const a = sim.addStack({ name: 'client', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
const b = sim.addStack({ name: 'server', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
sim.connect([a, b], { impair: { delayMs: 2 } });
const net = new HostNet(sim);

const server = serveHttp(net, b, 80, (req) =>
  req.path === '/' ? { status: 200, headers: { 'content-type': 'text/plain' }, body: `hello from ${b.ip}\n` }
    : req.path === '/echo' ? { status: 200, body: req.body }
      : { status: 404, body: 'not found\n' });

const client = new HttpClient(net, a, '192.0.2.2');
for (const [path, init] of [['/', {}], ['/echo', { method: 'POST', body: 'ping' }], ['/missing', {}]] as const) {
  const res = await client.fetch(path, init);
  console.log(`${init && 'method' in init ? init.method : 'GET'} ${path} -> ${res.status} ${JSON.stringify(res.body.toString())} (virtual t=${sim.clock.now} ms)`);
}
client.close();
server.close();
await net.idle();
console.log('done: connections closed, netstat', JSON.stringify(a.netstatCounts()));
