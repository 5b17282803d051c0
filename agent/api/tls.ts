// Server TLS: TLS 1.3 only, TLS_AES_256_GCM_SHA384 only by default (seed 000),
// client certificate requested and verified against the configured CA.
//
// The handshake does NOT reject a missing or untrusted client certificate:
// seed 000 asks that such a caller gets UNAUTHENTICATED on every RPC, a clear
// answer rather than a bare connection failure. grpc-js then exposes the peer
// certificate to handlers only when the socket is authorized, and
// auth/identity.ts turns "no verified certificate" into UNAUTHENTICATED.
import * as grpc from "@grpc/grpc-js";
import type { SecureContextOptions } from "node:tls";
import { timerMs } from "./connection-guard.js";

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** TLS 1.3 cipher suites, colon-separated (OpenSSL names); the default is in config/settings.ts. */
  cipherSuites: string;
}

export class MutualTlsServerCredentials extends grpc.ServerCredentials {
  /**
   * handshakeTimeoutMs: connection-guard.ts enforces it from accept (and past
   * the handshake, for callers without a verified certificate). Node's own
   * handshake timer (120 s unless set) is put just past it, so that it never
   * cuts a longer configured timeout short and the guard is the one that acts.
   */
  constructor(material: TlsMaterial, handshakeTimeoutMs: number) {
    super({ requestCert: true, rejectUnauthorized: false, handshakeTimeout: timerMs(handshakeTimeoutMs + 1000) }, contextOptions(material));
  }

  /** New connections use the new material; established ones keep theirs. */
  rotate(material: TlsMaterial): void {
    this.updateSecureContextOptions(contextOptions(material));
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

function contextOptions(material: TlsMaterial): SecureContextOptions {
  return {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    ciphers: material.cipherSuites,
  };
}
