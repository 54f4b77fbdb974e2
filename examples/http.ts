// HTTP/1.1 over the stack on a virtual wire (RFC 9112): a server with keep-alive and
// Content-Length framing, and a fetch-like client. Used by `npx tsx examples/http-server.ts` and the
// host-API tests.
import type { HostNet, Socket } from '../host/net.ts';
import type { Stack } from '../host/stack.ts';

export type Handler = (req: { method: string; path: string; headers: Record<string, string>; body: Buffer }) =>
  { status: number; headers?: Record<string, string>; body?: string | Buffer };

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' };

/** Parses one message head at the start of buf: [start line, headers, head length] or null if incomplete. */
function parseHead(buf: Buffer): [string, Record<string, string>, number] | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [start, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return [start, headers, end + 4];
}

export function serveHttp(net: HostNet, stack: Stack, port: number, handler: Handler) {
  return net.createServer(stack, (sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const head = parseHead(buf);
        if (!head) return;
        const [start, headers, hlen] = head;
        const len = Number(headers['content-length'] ?? 0);
        if (buf.length < hlen + len) return;
        const [method, path] = start.split(' ');
        const body = buf.subarray(hlen, hlen + len);
        buf = buf.subarray(hlen + len);
        const res = handler({ method, path, headers, body });
        const payload = Buffer.from(res.body ?? '');
        const keep = headers.connection?.toLowerCase() !== 'close';
        const h = { 'content-length': String(payload.length), connection: keep ? 'keep-alive' : 'close', ...res.headers };
        // One write for head and body: two small writes would meet Nagle and the peer's delayed ACK.
        sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 ${res.status} ${REASONS[res.status] ?? 'Status'}\r\n` +
          Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n'), payload]));
        if (!keep) { sock.end(); return; }
      }
    });
    sock.on('end', () => sock.end());
    sock.on('error', () => {});
  }).listen(port);
}

export type Response = { status: number; headers: Record<string, string>; body: Buffer };

/** A fetch-like client: sends each request on one keep-alive connection, in order. */
export class HttpClient {
  private sock: Socket;
  private buf = Buffer.alloc(0);
  private waiting: ((r: Response) => void)[] = [];
  private failed: ((e: Error) => void)[] = [];

  constructor(net: HostNet, stack: Stack, readonly host: string, readonly port = 80) {
    this.sock = net.connect({ stack, host, port });
    this.sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    this.sock.on('error', (e) => { for (const f of this.failed.splice(0)) f(e); });
  }

  fetch(path: string, init: { method?: string; body?: string; close?: boolean } = {}): Promise<Response> {
    const body = Buffer.from(init.body ?? '');
    this.sock.write(Buffer.concat([Buffer.from(`${init.method ?? 'GET'} ${path} HTTP/1.1\r\nHost: ${this.host}\r\n` +
      `content-length: ${body.length}\r\nconnection: ${init.close ? 'close' : 'keep-alive'}\r\n\r\n`), body]));
    return new Promise((resolve, reject) => { this.waiting.push(resolve); this.failed.push(reject); });
  }

  close(): void { this.sock.end(); }

  private parse(): void {
    for (;;) {
      const head = parseHead(this.buf);
      if (!head) return;
      const [start, headers, hlen] = head;
      const len = Number(headers['content-length'] ?? 0);
      if (this.buf.length < hlen + len) return;
      const res = { status: Number(start.split(' ')[1]), headers, body: this.buf.subarray(hlen, hlen + len) };
      this.buf = this.buf.subarray(hlen + len);
      this.failed.shift();
      this.waiting.shift()?.(res);
    }
  }
}
