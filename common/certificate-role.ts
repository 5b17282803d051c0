// The caller's role travels inside its client certificate (seed design): an
// X.509 v3 extension, OID 1.2.840.10070.8.1, non-critical, whose value is one
// DER UTF8String. The agent reads it on every RPC (cached per fingerprint by
// the caller) and the PKI tool (certs/) lists the clients it issued, so reading
// lives here, shared; issuing stays in certs/role.ts. Reading uses asn1js
// directly instead of building a full @peculiar/x509 certificate object.
import * as asn1js from "asn1js";

export const ROLE_OID = "1.2.840.10070.8.1";

// ASN.1 tag class of [n] context-specific tags, as asn1js numbers them.
const CONTEXT_SPECIFIC = 3;
// tbsCertificate's `extensions [3] EXPLICIT Extensions`.
const EXTENSIONS_TAG = 3;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The role carried by a DER certificate, or undefined when it has no role
 * extension or the certificate/extension is malformed (never throws: the
 * bytes come from the network, and "no role" is answered with PERMISSION_DENIED).
 */
export function readCertificateRole(der: Uint8Array): string | undefined {
  try {
    const value = roleExtensionValue(der);
    return value === undefined ? undefined : decodeUtf8String(value);
  } catch {
    return undefined;
  }
}

/** extnValue of the role extension; undefined if absent, duplicated, or the certificate does not parse. */
function roleExtensionValue(der: Uint8Array): Uint8Array | undefined {
  const cert = asn1js.fromBER(der);
  // A certificate is exactly one SEQUENCE: trailing bytes mean it is not one.
  if (cert.offset !== der.byteLength || !(cert.result instanceof asn1js.Sequence)) return undefined;
  const tbs = cert.result.valueBlock.value[0];
  if (!(tbs instanceof asn1js.Sequence)) return undefined;
  const wrapper = tbs.valueBlock.value.find(
    (b) => b.idBlock.tagClass === CONTEXT_SPECIFIC && b.idBlock.tagNumber === EXTENSIONS_TAG,
  );
  if (!(wrapper instanceof asn1js.Constructed)) return undefined;
  const extensions = wrapper.valueBlock.value[0];
  if (!(extensions instanceof asn1js.Sequence)) return undefined;

  let found: Uint8Array | undefined;
  for (const ext of extensions.valueBlock.value) {
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    if (!(ext instanceof asn1js.Sequence)) return undefined;
    const parts = ext.valueBlock.value;
    const id = parts[0];
    if (!(id instanceof asn1js.ObjectIdentifier) || id.getValue() !== ROLE_OID) continue;
    const value = parts[parts.length - 1];
    // RFC 5280 forbids repeating an extension; two roles would be ambiguous, so neither counts.
    if (found !== undefined || parts.length > 3 || !(value instanceof asn1js.OctetString)) return undefined;
    found = value.valueBlock.valueHexView;
  }
  return found;
}

/** The text of a DER value that must be exactly one UTF8String of valid UTF-8. */
function decodeUtf8String(value: Uint8Array): string | undefined {
  const parsed = asn1js.fromBER(value);
  if (parsed.offset !== value.byteLength || !(parsed.result instanceof asn1js.Utf8String)) return undefined;
  // Decode the raw bytes ourselves: asn1js would quietly replace invalid UTF-8.
  return utf8.decode(parsed.result.valueBlock.valueHexView);
}
