// The idle timeout: an HTTP/2 session with no stream in flight for idleMs is
// closed gracefully (GOAWAY, then the socket), while a session with any stream
// open (a GetOutput follow stream of a job running for days) is never cut.
//
// grpc-js's own grpc.max_connection_idle_ms does the same, but silently; this
// is its logic (count streams, re-arm the timer when the last one closes) with
// a hook, so that idle closes are counted and logged like the other cuts.
import type { ServerHttp2Session } from "node:http2";

export function closeWhenIdle(session: ServerHttp2Session, idleMs: number, onIdle: () => void): void {
  let inFlight = 0;
  const timer = setTimeout(() => {
    // Fired with streams open: nothing to do, the last one to close re-arms it.
    if (inFlight > 0 || session.closed || session.destroyed) return;
    onIdle();
    session.close();
  }, idleMs);
  timer.unref();
  session.on("stream", (stream) => {
    inFlight += 1;
    stream.once("close", () => {
      inFlight -= 1;
      if (inFlight === 0) timer.refresh();
    });
  });
  session.once("close", () => clearTimeout(timer));
}
