/** Sample messages for the proto tests, with every kind of field ours have: scalars, repeated, bytes, 64-bit, enums, nested, Timestamp, proto3 optional. */
export const SAMPLES: Record<string, object> = {
  "workerservice.StartRequest": {
    commandName: "sh",
    arguments: ["-c", "echo hi"],
    limits: { cpuCores: 0.5, memoryBytes: "268435456", pids: "100" },
    gracePeriodMs: "2500",
    runAsRoot: true,
  },
  "workerservice.StopRequest": { jobID: Buffer.from("0123456789abcdef") },
  "workerservice.QueryStatusResponse": {
    id: "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d",
    JobStatus: "EXITED",
    exitCode: 3,
    startTime: { seconds: "1700000000", nanos: 5 },
    outputBytes: "18446744073709551615",
  },
  "workerservice.ListRequest": {},
  "authservice.LoginResponse": { token: "t", expiresAt: { seconds: "1", nanos: 0 }, role: "admin" },
};
