// grpc-js passes the target's host as the TLS ServerName even when it is an
// IP address (server: 127.0.0.1:5000), and Node answers that with a DEP0123
// deprecation warning on stderr. SNI plays no part in verifying the agent
// (the certificate's IP SANs are checked either way), so for a CLI whose
// stderr is "one line per error" that warning is only noise. Every other
// warning still goes through.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;

process.emitWarning = ((...args: unknown[]) => {
  const [, typeOrOptions, code] = args;
  const warningCode = typeof typeOrOptions === "object" && typeOrOptions !== null ? (typeOrOptions as { code?: string }).code : code;
  if (warningCode === "DEP0123") return;
  emitWarning(...args);
}) as typeof process.emitWarning;
