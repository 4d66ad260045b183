/** A FakeStepper whose next-token distribution is looked up by prefix, for hand-computed cases. */
import { FakeStepper } from "./fake-stepper.js";

/**
 * `table` maps a prefix written as "2 1 3" to next-token probabilities (logits = ln p, so softmax
 * gives p back). A prefix missing from the table throws, which catches unexpected model calls.
 */
export function tableStepper(table: Readonly<Record<string, readonly number[]>>): FakeStepper {
  const vocab = Object.values(table)[0]!.length;
  return new FakeStepper(vocab, (_request, prefix) => {
    const probs = table[prefix.join(" ")];
    if (probs === undefined) throw new Error(`no logits for prefix [${prefix.join(", ")}]`);
    return Float32Array.from(probs, (p) => Math.log(p));
  });
}
