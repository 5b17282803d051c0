// Issuing the role extension (its OID and format: common/certificate-role.ts,
// where reading it lives, shared with the agent).
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { ROLE_OID } from "../common/certificate-role.js";

/** The role extension to put into a certificate being issued. */
export function encodeRoleExtension(role: string): x509.Extension {
  if (role === "") throw new Error("role must not be empty");
  return new x509.Extension(ROLE_OID, false, new asn1js.Utf8String({ value: role }).toBER(false));
}
