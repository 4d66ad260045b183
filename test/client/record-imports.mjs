// Registers a module-resolution hook that appends every resolved module URL to the file named by
// $RECORD_IMPORTS_FILE, so a test can see a child process's whole module graph (ESM has no public
// module cache to inspect). Loaded with `node --import`, after tsx so TypeScript sources resolve.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from "node:fs";
    export async function resolve(specifier, context, nextResolve) {
      const resolved = await nextResolve(specifier, context);
      appendFileSync(process.env.RECORD_IMPORTS_FILE, resolved.url + "\\n");
      return resolved;
    }
  `)}`,
  import.meta.url,
);
