import { readFile } from "node:fs/promises";
import { createFlorenceClient } from "/work/main/client/index.js";
const client = createFlorenceClient({ baseUrl: "http://127.0.0.1:50911" });
const img = await readFile("/work/main/test/fixtures/images/coffee.jpg");
const t0 = performance.now();
const stopAt = process.argv[2];
for await (const e of client.runStream("caption" as never, [img], { maxNewTokens: stopAt === "partial" ? 1024 : 5, numBeams: 1, partialIntervalMs: 0 } as never)) {
  if (e.kind === stopAt) { console.log(stopAt, "breaking"); break; }
}
process.on("exit", () => console.log("exit at", Math.round(performance.now() - t0)));
