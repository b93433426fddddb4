/**
 * The loopback HTTP transport: POST /v1/observe (one request object, or
 * NDJSON lines; replies the same way), GET /v1/runs/{run}/summary,
 * GET /healthz, GET /metrics (Prometheus text). Bodies are capped; requests
 * are answered one at a time by the synchronous session, so the queue is the
 * kernel's accept backlog, bounded, not the server's memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { encodeJson } from "../telemetry/encode.js";
import { MAX_LINE_BYTES } from "./lines.js";
import { renderMetrics } from "./metrics.js";
import type { ServeSession } from "./session.js";

/** Addresses the HTTP transport may listen on: loopback only (the server has no authentication). */
export const LOOPBACK_HOSTS = ["127.0.0.1", "::1", "localhost"];

export function createHttpServer(session: ServeSession, maxBodyBytes = MAX_LINE_BYTES): Server {
  const server = createServer((req, res) => {
    route(session, req, res, maxBodyBytes).catch((err: unknown) => {
      send(res, 500, { kind: "error", error: `internal error: ${(err as Error).message}` });
    });
  });
  // A slow or stuck client must not hold the server's one lane for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return server;
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = typeof body === "string" ? body : `${encodeJson(body)}\n`;
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

async function route(session: ServeSession, req: IncomingMessage, res: ServerResponse, max: number): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  if (req.method === "GET" && path === "/healthz") return send(res, 200, session.health());
  if (req.method === "GET" && path === "/metrics")
    return send(res, 200, renderMetrics(session), "text/plain; version=0.0.4; charset=utf-8");
  const summary = /^\/v1\/runs\/([^/]+)\/summary$/.exec(path);
  if (req.method === "GET" && summary) {
    let run: string;
    try {
      run = decodeURIComponent(summary[1]);
    } catch {
      return send(res, 400, { kind: "error", error: "run: not a valid percent-encoded name" });
    }
    const s = session.summary(run);
    return s
      ? send(res, 200, { kind: "summary", ...s })
      : send(res, 404, { kind: "error", error: `run ${run}: not seen` });
  }
  if (path === "/v1/observe") {
    if (req.method !== "POST")
      return send(res, 405, { kind: "error", error: "POST a telemetry record to /v1/observe" });
    const body = await readBody(req, max);
    if (body === null) {
      session.counters.badLines++;
      res.setHeader("connection", "close");
      return send(res, 413, { kind: "error", error: `body larger than ${max} bytes` });
    }
    // One object, or NDJSON lines (a step's trajectories and events, then its step): the replies, one per line.
    const replies = body
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => session.handleLine(line))
      .filter((r) => r !== undefined);
    if (replies.length === 1) {
      const status = replies[0].kind === "error" ? 400 : 200;
      return send(res, status, replies[0]);
    }
    return send(
      res,
      200,
      replies.map((r) => encodeJson(r)).join("\n") + (replies.length ? "\n" : ""),
      "application/x-ndjson",
    );
  }
  send(res, 404, { kind: "error", error: `no route ${req.method} ${path}` });
}
