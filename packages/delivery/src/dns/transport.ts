/**
 * One DNS exchange with one server: a query over UDP, again over TCP when the answer comes back
 * truncated (TC bit). Real packets through `dns-packet`; no caching, no retries (see resolver.ts).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { DnsError } from '../errors.js';
import type { NameServerAddress } from './types.js';

export type QueryType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR';

/** EDNS0 payload size recommended by DNS Flag Day 2020: avoids IP fragmentation. */
const EDNS_UDP_SIZE = 1232;

export function encodeQuery(id: number, name: string, type: QueryType): Buffer {
  return packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [
      { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
    ],
  });
}

function serverText(s: NameServerAddress): string {
  return net.isIPv6(s.ip) ? `[${s.ip}]:${s.port}` : `${s.ip}:${s.port}`;
}

/** Decodes a reply and checks that it answers our query (id and question), else undefined. */
function decodeReply(buf: Buffer, id: number, name: string, type: QueryType): packet.DecodedPacket | undefined {
  let reply: packet.DecodedPacket;
  try {
    reply = packet.decode(buf);
  } catch {
    return undefined;
  }
  const q = reply.questions?.[0];
  if (reply.id !== id || !reply.flag_qr || q === undefined) return undefined;
  if (q.type !== type || q.name.toLowerCase() !== name.toLowerCase()) return undefined;
  return reply;
}

function udpQuery(server: NameServerAddress, name: string, type: QueryType, timeoutMs: number): Promise<packet.DecodedPacket> {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name, type);
  const where = serverText(server);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.ip) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (err: Error | undefined, reply?: packet.DecodedPacket): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new DnsError('DNS_TIMEOUT', `no answer from ${where} within ${timeoutMs} ms`, where)), timeoutMs);
    // Anything that is not the answer to our question (spoofed or stale) is ignored; the timer still runs.
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== server.port) return;
      const reply = decodeReply(msg, id, name, type);
      if (reply !== undefined) done(undefined, reply);
    });
    socket.on('error', (err) => done(new DnsError('DNS_TEMPFAIL', `UDP query to ${where} failed: ${err.message}`, where, { cause: err })));
    socket.send(query, server.port, server.ip);
  });
}

function tcpQuery(server: NameServerAddress, name: string, type: QueryType, timeoutMs: number): Promise<packet.DecodedPacket> {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name, type);
  const where = serverText(server);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.ip, port: server.port });
    let data = Buffer.alloc(0);
    let finished = false;
    const done = (err: Error | undefined, reply?: packet.DecodedPacket): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new DnsError('DNS_TIMEOUT', `no TCP answer from ${where} within ${timeoutMs} ms`, where)), timeoutMs);
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 2 || data.length < 2 + data.readUInt16BE(0)) return;
      const reply = decodeReply(data.subarray(2, 2 + data.readUInt16BE(0)), id, name, type);
      if (reply === undefined) done(new DnsError('DNS_BAD_RESPONSE', `TCP answer from ${where} does not match the query`, where));
      else done(undefined, reply);
    });
    socket.on('error', (err) => done(new DnsError('DNS_TEMPFAIL', `TCP query to ${where} failed: ${err.message}`, where, { cause: err })));
    socket.on('end', () => done(new DnsError('DNS_BAD_RESPONSE', `${where} closed the TCP connection without an answer`, where)));
  });
}

/** Asks one server once; rejects with a DnsError on timeout or network failure. */
export async function queryServer(
  server: NameServerAddress,
  name: string,
  type: QueryType,
  timeoutMs: number,
): Promise<packet.DecodedPacket> {
  const reply = await udpQuery(server, name, type, timeoutMs);
  return reply.flag_tc ? tcpQuery(server, name, type, timeoutMs) : reply;
}
