/**
 * The marker `scenario from-recording` leaves where the recording has no value to give (a key
 * redacted by `--record-redact`, a string cut by `--record-max-value-chars`): an object
 * `{"$placeholder": "why, and what to put here"}` in the call's arguments. The author replaces it
 * with a value; until then loading the scenario (`check`, `validate`) refuses it at its JSON path.
 */

export const PLACEHOLDER_KEY = "$placeholder";

export type Placeholder = { readonly [PLACEHOLDER_KEY]: string };

export function placeholder(note: string): Placeholder {
  return { [PLACEHOLDER_KEY]: note };
}

export function isPlaceholder(value: unknown): value is Placeholder {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, PLACEHOLDER_KEY);
}

/** The message for a placeholder still in a scenario (its note, when it has one, says what was there). */
export function placeholderMessage(value: Placeholder): string {
  const note = typeof value[PLACEHOLDER_KEY] === "string" && value[PLACEHOLDER_KEY] !== "" ? ` (${value[PLACEHOLDER_KEY]})` : "";
  return `found a \`${PLACEHOLDER_KEY}\` left by \`toolgate scenario from-recording\`${note}, expected a value: replace the placeholder object with the argument's value before running the scenario`;
}
