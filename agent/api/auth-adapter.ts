// AuthService (seed 003's login) over gRPC. Login needs a verified client
// certificate (mutual TLS stays required) but no role.
import type { AuthServiceHandlers } from "../../proto/generated/authservice/AuthService.js";
import type { LoginRequest__Output } from "../../proto/generated/authservice/LoginRequest.js";
import type { LoginResponse } from "../../proto/generated/authservice/LoginResponse.js";
import type { LoginService } from "../auth/login.js";
import { InvalidArgumentError } from "../errors.js";
import { identityFromCertificate } from "../auth/identity.js";
import { toTimestamp } from "./wire.js";
import type { AnyCall, RpcContext } from "./rpc.js";

/** Login ignores any bearer token (an expired one must not block getting a new one); the certificate is still required. */
const certificateOnly = async (call: AnyCall) => identityFromCertificate(call.getAuthContext().sslPeerCertificate);

export const LOGIN_LIMITS = Object.freeze({ maxUsernameBytes: 256, maxPasswordBytes: 1024 });

export function authServiceHandlers(login: LoginService, rpc: RpcContext): AuthServiceHandlers {
  return {
    Login: rpc.unary("Login", async (caller, request: LoginRequest__Output): Promise<LoginResponse> => {
      checkLength("username", request.username, LOGIN_LIMITS.maxUsernameBytes);
      checkLength("password", request.password, LOGIN_LIMITS.maxPasswordBytes);
      // The client is the certificate's identity (see agent/auth/login-throttle.ts for why not the address).
      const { token, role, expiresAt } = await login.login(caller.name, request.username, request.password);
      return { token, role, expiresAt: toTimestamp(expiresAt) };
    }, certificateOnly),
  };
}

function checkLength(field: string, value: string, max: number): void {
  if (value === "") throw new InvalidArgumentError(`${field} is empty`);
  const bytes = Buffer.byteLength(value);
  if (bytes > max) throw new InvalidArgumentError(`${field} is ${bytes} bytes (limit ${max})`);
}
