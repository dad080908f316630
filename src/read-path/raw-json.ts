import { randomBytes } from "node:crypto";

/**
 * Stage 6 of the read path (README.md): the JSON text a statement returned goes out as it is. The
 * executor's result holds a placeholder per compiled field (its `toJSON` is a token string); after
 * Apollo has written the response, the HTTP handler puts each text in place of its token. Nothing
 * is parsed and written again; everything around the fields (errors, extensions, formatting) stays
 * Apollo's.
 */

/** Tokens are `\u0000` (which no Postgres text can hold) + a random per-process prefix + an index. */
const PREFIX = `\u0000rj${randomBytes(6).toString("hex")}:`;
/** The same token as JSON.stringify writes it (`\u0000` escaped). */
const WRITTEN_PREFIX = JSON.stringify(PREFIX).slice(0, -1);

/**
 * A field's JSON text: one string, or pieces to be written one after another (a statement's large
 * text with the short pieces around it, kept apart so it is never copied into one joined string).
 */
export type JsonText = string | readonly string[];

/** A JsonText as one string (to parse it). */
export const joinedText = (text: JsonText): string => (typeof text === "string" ? text : text.join(""));

/** One field's JSON text, standing in the result until the response is written. */
export class RawJson {
  constructor(
    private readonly token: string,
    readonly text: JsonText,
  ) {}
  toJSON(): string {
    return this.token;
  }
}

/** The raw texts of one HTTP request's response. */
export class RawJsonSink {
  private readonly texts: JsonText[] = [];

  /** A placeholder for `text` in this request's result. */
  add(text: JsonText): RawJson {
    return new RawJson(PREFIX + this.texts.push(text), text);
  }

  /**
   * `body` (the response as written, placeholders in it) as the pieces of the answer, in order:
   * the text between placeholders and each field's text. Sent one after another they are the whole
   * answer, and no field's text is copied into one large string on the way.
   */
  parts(body: string): string[] {
    if (!this.texts.length) return [body];
    const found: Array<{ at: number; end: number; text: JsonText }> = [];
    for (let i = 1; i <= this.texts.length; i += 1) {
      const written = `${WRITTEN_PREFIX}${i}"`;
      const at = body.indexOf(written);
      if (at >= 0) found.push({ at, end: at + written.length, text: this.texts[i - 1] });
    }
    found.sort((a, b) => a.at - b.at);
    const parts: string[] = [];
    let from = 0;
    for (const { at, end, text } of found) {
      parts.push(body.slice(from, at));
      if (typeof text === "string") parts.push(text);
      else parts.push(...text);
      from = end;
    }
    parts.push(body.slice(from));
    return parts;
  }
}
