// Who may read /metrics. Its series name every job and its owner, so with
// authentication configured a scraper must prove itself: a bearer token, a
// client certificate from the configured CA (optionally one of the allowed
// subject CNs), or both when both are configured. /healthz and /readyz are
// never guarded: kubelet probes carry no credentials and they tell nothing
// but liveness.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { bearerMatches, type TokenDigest } from "./bearer-token.js";

export interface Refusal {
  status: 401 | 403;
  body: string;
  headers: Record<string, string>;
}

export interface ClientCertPolicy {
  /** Subject CNs that may scrape; empty: any certificate the CA signed. */
  allowedNames: string[];
}

export class ScrapeGuard {
  constructor(
    private token: TokenDigest | undefined,
    private readonly clientCerts: ClientCertPolicy | undefined,
  ) {}

  /** Whether anything is required at all (otherwise any local process may scrape). */
  get open(): boolean {
    return this.token === undefined && this.clientCerts === undefined;
  }

  /** A new token (SIGHUP), or none; connections already open are checked against it on their next request. */
  setToken(token: TokenDigest | undefined): void {
    this.token = token;
  }

  /** undefined: the request may read /metrics. */
  check(req: IncomingMessage): Refusal | undefined {
    return (this.clientCerts && certificateRefusal(req.socket as TLSSocket, this.clientCerts)) ?? (this.token && tokenRefusal(req, this.token));
  }
}

function tokenRefusal(req: IncomingMessage, token: TokenDigest): Refusal | undefined {
  if (bearerMatches(req.headers.authorization, token)) return undefined;
  const error = req.headers.authorization === undefined ? "" : ', error="invalid_token"'; // RFC 6750 section 3
  return { status: 401, body: "a bearer token is required\n", headers: { "WWW-Authenticate": `Bearer realm="jobagent metrics"${error}` } };
}

/**
 * The listener asks for a certificate but lets the handshake finish without a
 * valid one (as the gRPC side does), so that probes reach /healthz and a
 * scraper without one gets this answer rather than a bare connection reset.
 */
function certificateRefusal(socket: TLSSocket, policy: ClientCertPolicy): Refusal | undefined {
  const presented = socket.getPeerCertificate(); // {} when the client sent none
  if (!socket.authorized) {
    const why = Object.keys(presented).length === 0 ? "none presented" : String(socket.authorizationError);
    return forbidden(`a client certificate from the metrics client CA is required (${why})`);
  }
  const name = presented.subject?.CN;
  if (policy.allowedNames.length > 0 && !(typeof name === "string" && policy.allowedNames.includes(name))) {
    return forbidden(`client certificate ${JSON.stringify(name ?? "")} may not scrape metrics`);
  }
  return undefined;
}

function forbidden(reason: string): Refusal {
  return { status: 403, body: `${reason}\n`, headers: {} };
}
