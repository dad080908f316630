import { writeFileSync } from "node:fs";
import path from "node:path";
import { printGatewaySchema } from "./schema";

/** `npm run schema`: rewrites schema.graphql at the repository root from the code. */
const target = path.resolve(__dirname, "../../../schema.graphql");
writeFileSync(target, printGatewaySchema());
console.log(`wrote ${target}`);
