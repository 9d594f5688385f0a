/**
 * A value that must never reach logs, metrics or error messages.
 *
 * `String(secret)`, template literals, `JSON.stringify` and `Deno.inspect` all
 * print `***`; only {@linkcode Secret.reveal} returns the value, so every place
 * that uses the real value is easy to find.
 *
 * @module
 */

/** Wraps a secret string. */
export class Secret {
  readonly #value: string;

  /** Wrap `value`. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself; call only where it is handed to the database driver. */
  reveal(): string {
    return this.#value;
  }

  /** Always `***`. */
  toString(): string {
    return "***";
  }

  /** Always `"***"`. */
  toJSON(): string {
    return "***";
  }

  /** Keeps `console.log` and `Deno.inspect` from printing the value. */
  [Symbol.for("Deno.customInspect")](): string {
    return "Secret(***)";
  }
}
