/** A webhook receiver on 127.0.0.1 for the alert tests: records each POST and answers as told. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  contentType: string | undefined;
  body: unknown;
  at: number;
}

/** How the server answers the n-th request (0-based): a status, or "hang" (never answer). */
export type Answer = number | "hang";

export async function webhookServer(answer: (n: number) => Answer = () => 200) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = received.length;
      received.push({
        method: req.method ?? "",
        contentType: req.headers["content-type"],
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
        at: Date.now(),
      });
      const a = answer(n);
      if (a === "hang") {
        hanging.push(res);
        return;
      }
      res.writeHead(a, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
