/**
 * `rftfm serve`, put together: one session (the monitor of every run), its
 * state restored from --state-dir at start and saved at every checkpoint event
 * and at shutdown, and the transports asked for (stdio, a Unix socket,
 * loopback HTTP), all feeding the same session.
 */
import { existsSync, unlinkSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import type { EventRecord } from "../telemetry/records.js";
import type { Verdict } from "../verdict/types.js";
import { createHttpServer, LOOPBACK_HOSTS } from "./http.js";
import { serveLines } from "./lines.js";
import { ServeSession, type SessionOptions } from "./session.js";
import { StateStore } from "./state.js";

export interface ServerOptions extends Omit<SessionOptions, "onVerdict"> {
  /** Save state here at checkpoints and on stop; restore from it at start. */
  stateDir?: string;
  /** Serve NDJSON over these streams (stdio); the server stops when the input ends. */
  stdio?: { input: Readable; output: Writable };
  /** Listen on this Unix socket path. */
  socket?: string;
  /** Listen on loopback HTTP: port (0: any free one). */
  http?: { port: number; host?: string };
  /** Also called after every verdict (the supervisor's hook). */
  onVerdict?: (verdict: Verdict, events: readonly EventRecord[]) => void;
}

export interface RunningServer {
  session: ServeSession;
  /** The HTTP address, when listening: `http://127.0.0.1:PORT`. */
  url?: string;
  socket?: string;
  /** Resolves when the stdio input ends (never, without stdio). */
  stdioDone: Promise<void>;
  /** Whether the state was restored from --state-dir. */
  restored: boolean;
  /** Saves the state (when there is a state dir). */
  save(): void;
  /** Saves the state and stops listening. */
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = options.stateDir ? new StateStore(options.stateDir) : undefined;
  const saved = store?.load();
  let session: ServeSession | undefined;
  const save = () => {
    if (store && session) store.save(session.snapshot());
  };
  const onError = options.onError ?? ((m: string) => process.stderr.write(`rftfm serve: ${m}\n`));
  session = new ServeSession(
    {
      ...options,
      onVerdict: (verdict, events) => {
        // A checkpoint is where a restarted trainer resumes: the state then is the one to resume with.
        if (events.some((e) => e.name === "checkpoint")) {
          try {
            save();
          } catch (err) {
            onError(`saving state at ${verdict.run} step ${verdict.step}: ${(err as Error).message}`);
          }
        }
        options.onVerdict?.(verdict, events);
      },
    },
    saved,
  );
  const closers: (() => Promise<void>)[] = [];
  let url: string | undefined;
  if (options.http) {
    const host = options.http.host ?? "127.0.0.1";
    if (!LOOPBACK_HOSTS.includes(host))
      throw new Error(`--host ${host}: the HTTP transport listens on loopback only (${LOOPBACK_HOSTS.join(", ")})`);
    const http: HttpServer = createHttpServer(session);
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(options.http!.port, host, () => resolve());
    });
    const address = http.address();
    const port = typeof address === "object" && address ? address.port : options.http.port;
    url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    closers.push(
      () =>
        new Promise((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );
  }
  if (options.socket) {
    const path = options.socket;
    if (existsSync(path)) unlinkSync(path);
    const current = session;
    const conns = new Set<Socket>();
    const net: NetServer = createNetServer((conn) => {
      conns.add(conn);
      conn.on("close", () => conns.delete(conn));
      conn.on("error", () => conn.destroy());
      serveLines(current, conn, conn).then(() => conn.end());
    });
    await new Promise<void>((resolve, reject) => {
      net.once("error", reject);
      net.listen(path, () => resolve());
    });
    closers.push(
      () =>
        new Promise((resolve) => {
          net.close(() => resolve());
          for (const conn of conns) conn.destroy();
          if (existsSync(path)) unlinkSync(path);
        }),
    );
  }
  const stdioDone = options.stdio
    ? serveLines(session, options.stdio.input, options.stdio.output)
    : new Promise<void>(() => {});
  let stopped = false;
  return {
    session,
    url,
    socket: options.socket,
    stdioDone,
    restored: saved !== undefined,
    save,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        save();
      } finally {
        await Promise.all(closers.map((c) => c()));
        session.close();
      }
    },
  };
}
