// Lets a worker run the TypeScript sources directly (tests and `tsx` runs): registers tsx's
// loader inside the worker, then imports the real entry. The built package uses dist/*.js instead.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
