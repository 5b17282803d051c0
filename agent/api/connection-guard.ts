// Bounds on gRPC connections before and between RPCs, as OpenSSH bounds its
// logins (LoginGraceTime, MaxStartups, PerSourceMaxStartups):
//
// - A connection is unauthenticated from accept until its TLS handshake has
//   completed with a client certificate the CA verified. The handshake lets a
//   caller without one through (so that it gets UNAUTHENTICATED, see tls.ts),
//   so such a session stays unauthenticated: it may read its answers, and is
//   closed handshakeTimeout after accept like a silent or stalled one.
// - At most maxUnauthenticated of them at once. When full, a new connection
//   closes the oldest unauthenticated connection of the address holding the
//   most of them (a flood evicts itself first) rather than being refused: refusing
//   would let an attacker lock every new client out with maxUnauthenticated
//   silent sockets per handshakeTimeout (6.4 a second by default), whereas a
//   real client's handshake takes milliseconds and is never the oldest unless
//   the attacker cycles the whole cap within it (a flood, for a firewall).
// - At most maxUnauthenticatedPerAddress from one address (IPv6: one /64),
//   over which new ones are refused: one host cannot hold the whole cap. It
//   does not apply to authenticated connections: many trusted clients may share
//   one address (NAT, a proxy) and are accountable by their certificates.
// - At most `max` open connections, authenticated or not: at max a new one
//   evicts an unauthenticated one as above, or is refused if there is none:
//   descriptors stay for the jobs (outputs, pidfds) and the admin.
// - The idle timeout (idle-sessions.ts) then bounds authenticated sessions.
//
// Refused connections are closed at accept, before any TLS work. Every refusal
// and cut is counted in the metrics and logged, throttled.
import type { Http2SecureServer, ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import type { ApiEvents, ConnectionCut, ConnectionRefusal } from "./events.js";
import { closeWhenIdle } from "./idle-sessions.js";
import { addressKey } from "./peer-address.js";
import { KeyCounts } from "../../common/key-counts.js";
import { ThrottledLog } from "./throttled-log.js";
import { refuseUnauthenticatedStreams } from "./unauthenticated-streams.js";

export interface ConnectionLimits {
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  max: number;
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
}

/** Node's timers take at most 2^31-1 ms and fire after 1 ms past that: longer settings mean "as long as can be". */
export function timerMs(ms: number): number {
  return Math.min(Math.max(1, ms), 2 ** 31 - 1);
}

interface Unauthenticated {
  peer: string;
  timer: NodeJS.Timeout;
}

export class ConnectionGuard {
  /** Insertion order is age: the first entry is the oldest. Keyed by the TCP socket, before and after TLS. */
  private readonly unauthenticated = new Map<Socket, Unauthenticated>();
  private readonly perPeer = new KeyCounts<string>();
  private readonly authenticated = new Set<Socket>();
  /** Sockets the guard closed: their handshake "failures" are its doing, not the client's. */
  private readonly cut = new WeakSet<Socket>();
  private readonly throttle = new ThrottledLog();

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly metrics: ApiEvents,
    private readonly logger: Logger,
  ) {}

  /** Applies the policy to one http2 server; grpc-js makes one per bound address, and they share the caps. */
  watch(server: Http2SecureServer): void {
    // Prepended: before tls.Server's own listener starts the handshake on it.
    server.prependListener("connection", (socket: Socket) => this.accepted(socket));
    server.on("secureConnection", (socket: TLSSocket) => this.secured(socket));
    server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const raw = rawSocketOf(socket);
      if (!raw || !this.cut.has(raw)) this.metrics.tlsHandshakeFailed(err.code ?? "unknown");
    });
    refuseUnauthenticatedStreams(server, () => {
      this.metrics.rpcFinished("(unverified session)", "UNAUTHENTICATED", 0);
      this.throttle.note("unauthenticated_rpc", this.logger.debug.bind(this.logger), {}, "rpc refused before reading it: no verified client certificate");
    });
    server.on("session", (session: ServerHttp2Session) =>
      closeWhenIdle(session, timerMs(this.limits.idleTimeoutMs), () => this.closing("idle", session.socket?.remoteAddress)),
    );
  }

  private accepted(socket: Socket): void {
    const peer = addressKey(socket.remoteAddress);
    if (this.perPeer.get(peer) >= this.limits.maxUnauthenticatedPerAddress) return this.refuse(socket, "max_unauthenticated_per_address");
    const full = this.unauthenticated.size + this.authenticated.size >= this.limits.max;
    if (full || this.unauthenticated.size >= this.limits.maxUnauthenticated) {
      // At max, an unauthenticated connection makes room before anyone is refused: strangers cannot fill max to keep clients out.
      const victim = this.evictionVictim();
      if (victim) this.close(victim, "evicted");
      else return this.refuse(socket, "max_connections");
    }
    const timer = setTimeout(() => this.close(socket, "handshake_timeout"), timerMs(this.limits.handshakeTimeoutMs));
    timer.unref();
    this.unauthenticated.set(socket, { peer, timer });
    this.perPeer.increment(peer);
    socket.once("close", () => this.forget(socket));
    this.report();
  }

  /** Handshake done: authenticated if the certificate verified; otherwise it keeps its deadline. */
  private secured(tls: TLSSocket): void {
    const raw = rawSocketOf(tls);
    if (!raw || !tls.authorized || !this.unauthenticated.has(raw)) return;
    this.release(raw);
    this.authenticated.add(raw);
    // The TLS socket's close is the one certain to come (it owns the descriptor now).
    tls.once("close", () => this.forget(raw));
    this.report();
  }

  /**
   * The oldest unauthenticated connection of the address holding the most of
   * them: a flood evicts its own connections first, not a real client's
   * handshake from elsewhere (the oldest overall would often be that).
   */
  private evictionVictim(): Socket | undefined {
    let busiest: string | undefined;
    let most = 0;
    for (const [peer, count] of this.perPeer.entries()) {
      if (count > most) [busiest, most] = [peer, count];
    }
    for (const [socket, entry] of this.unauthenticated) if (entry.peer === busiest) return socket;
    return undefined;
  }

  private refuse(socket: Socket, reason: ConnectionRefusal): void {
    this.cut.add(socket);
    this.metrics.connectionRefused(reason);
    this.throttle.note(reason, this.logger.warn.bind(this.logger), { reason, peer: socket.remoteAddress, limits: this.limits }, "connection refused");
    socket.destroy();
  }

  private close(socket: Socket, reason: ConnectionCut): void {
    this.cut.add(socket);
    this.forget(socket); // now, not on 'close': the slot is free for the connection being accepted
    this.closing(reason, socket.remoteAddress);
    socket.destroy();
  }

  private closing(reason: ConnectionCut, peer: string | undefined): void {
    this.metrics.connectionClosed(reason);
    // Evictions mean the cap is full (an attack, or a cap too low): worth a warning. Timeouts are routine.
    const log = reason === "evicted" ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
    this.throttle.note(reason, log, { reason, peer }, "connection closed");
  }

  private release(socket: Socket): void {
    const entry = this.unauthenticated.get(socket);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.unauthenticated.delete(socket);
    this.perPeer.decrement(entry.peer);
  }

  /** Idempotent: called on close, and at once when the guard closes a socket itself. */
  private forget(socket: Socket): void {
    const known = this.unauthenticated.has(socket) || this.authenticated.has(socket);
    this.release(socket);
    this.authenticated.delete(socket);
    if (known) this.report();
  }

  private report(): void {
    this.metrics.connectionsOpen(this.unauthenticated.size, this.authenticated.size);
  }
}

/**
 * The TCP socket a server-side TLS socket wraps. Node keeps it as `_parent`
 * (internal but long-standing); it is how a handshake's outcome is tied back
 * to the connection the guard accepted. The e2e tests fail if it goes away
 * (authenticated sessions would then be cut at the handshake timeout).
 */
function rawSocketOf(tls: TLSSocket): Socket | undefined {
  return (tls as TLSSocket & { _parent?: Socket })._parent;
}
