// The local auth service: AuthService's Login (seed 003) with the caller's
// identity and input checks, in plain TypeScript, over the login itself
// (agent/auth/login.ts: throttling, hashing, tokens). The gRPC adapter
// (auth-adapter.ts) is a thin layer over it, as grpc-adapter.ts over JobService.
import type { LoginRequest__Output } from "../../proto/generated/authservice/LoginRequest.js";
import type { LoginResponse } from "../../proto/generated/authservice/LoginResponse.js";
import type { Identity } from "../auth/identity.js";
import type { LoginService } from "../auth/login.js";
import { InvalidArgumentError } from "../errors.js";
import { toTimestamp } from "./wire.js";

export const LOGIN_LIMITS = Object.freeze({ maxUsernameBytes: 256, maxPasswordBytes: 1024 });

export class AuthService {
  constructor(private readonly logins: LoginService) {}

  /** `caller`: the client certificate's identity, the client the login throttle counts (see agent/auth/login-throttle.ts for why not the address). */
  async login(caller: Identity, request: LoginRequest__Output): Promise<LoginResponse> {
    checkLength("username", request.username, LOGIN_LIMITS.maxUsernameBytes);
    checkLength("password", request.password, LOGIN_LIMITS.maxPasswordBytes);
    const { token, role, expiresAt } = await this.logins.login(caller.name, request.username, request.password);
    return { token, role, expiresAt: toTimestamp(expiresAt) };
  }
}

function checkLength(field: string, value: string, max: number): void {
  if (value === "") throw new InvalidArgumentError(`${field} is empty`);
  const bytes = Buffer.byteLength(value);
  if (bytes > max) throw new InvalidArgumentError(`${field} is ${bytes} bytes (limit ${max})`);
}
