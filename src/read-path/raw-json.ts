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

/** One field's JSON text, standing in the result until the response is written. */
export class RawJson {
  constructor(
    private readonly token: string,
    readonly text: string,
  ) {}
  toJSON(): string {
    return this.token;
  }
}

/** The raw texts of one HTTP request's response. */
export class RawJsonSink {
  private readonly texts: string[] = [];

  /** A placeholder for `text` in this request's result. */
  add(text: string): RawJson {
    return new RawJson(PREFIX + this.texts.push(text), text);
  }

  get size(): number {
    return this.texts.length;
  }

  /** `body` (the response Apollo wrote) with every placeholder replaced by its text. */
  splice(body: string): string {
    let out = body;
    for (let i = this.texts.length; i >= 1; i -= 1) {
      const written = `${WRITTEN_PREFIX}${i}"`;
      const at = out.indexOf(written);
      if (at >= 0) out = out.slice(0, at) + this.texts[i - 1] + out.slice(at + written.length);
    }
    return out;
  }
}
