import { readFileSync } from "node:fs";
import path from "node:path";
import { NODE_FLAGS } from "./node-flags";

const ROOT = path.join(__dirname, "..");
const COMMAND = `node ${NODE_FLAGS.join(" ")} dist/src/main.js`;

describe("the V8 flags the gateway runs with", () => {
  it("are the ones `npm start` passes", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain(COMMAND);
  });

  it("are the ones the README tells process managers to use, wherever it gives the command", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const commands = readme.match(/node (?:--[\w-]+=?\S* )*dist\/src\/main\.js/g) ?? [];
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) expect(command).toBe(COMMAND);
  });
});
