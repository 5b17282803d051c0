// The thin gRPC adapter over AuthService (auth-service.ts). Login needs a
// verified client certificate (mutual TLS stays required) but no role.
import type { AuthServiceHandlers } from "../../proto/generated/authservice/AuthService.js";
import type { LoginRequest__Output } from "../../proto/generated/authservice/LoginRequest.js";
import { identityFromCertificate } from "../auth/identity.js";
import type { AuthService } from "./auth-service.js";
import type { AnyCall, RpcContext } from "./rpc.js";

/** Login ignores any bearer token (an expired one must not block getting a new one); the certificate is still required. */
const certificateOnly = async (call: AnyCall) => identityFromCertificate(call.getAuthContext().sslPeerCertificate);

export function authServiceHandlers(auth: AuthService, rpc: RpcContext): AuthServiceHandlers {
  return {
    Login: rpc.unary("Login", (caller, request: LoginRequest__Output) => auth.login(caller, request), certificateOnly),
  };
}
