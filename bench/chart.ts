import { importEsm } from "../src/db/import-esm";

/**
 * The benchmark's picture (bench/RESULTS.svg, linked from the README), drawn by Vega-Lite and
 * rendered to SVG by Vega in Node (no browser, no canvas):
 * - throughput per scenario, the gateway beside the floor (and the baseline when measured), at 10
 *   connections on the full data set: the median rounds of RESULTS.md's table;
 * - latency (p50 and p99) against data size, for the scenarios measured at every size.
 */
export interface ChartRow {
  scenario: string;
  target: string;
  size: number;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
}

interface VegaLite {
  compile(spec: object): { spec: object };
}
interface Vega {
  parse(spec: object): object;
  View: new (runtime: object, options: { renderer: "none" }) => { toSVG(): Promise<string>; finalize(): void };
}

/** The chart as SVG text. */
export async function benchChartSvg(rows: ChartRow[], fullSize: number): Promise<string> {
  const vl = await importEsm<VegaLite>("vega-lite");
  const vega = await importEsm<Vega>("vega");
  const paired = new Set(rows.filter((r) => r.target === "floor").map((r) => `${r.scenario}|${r.size}|${r.connections}`));
  const throughput = rows
    .filter((r) => r.size === fullSize && r.connections === 10 && paired.has(`${r.scenario}|${r.size}|${r.connections}`))
    .map((r) => ({ scenario: r.scenario, target: r.target, rps: r.rps }));
  const sizes = new Map<string, Set<number>>();
  for (const r of rows)
    if (r.connections === 10 && r.target === "gateway")
      (sizes.get(r.scenario) ?? sizes.set(r.scenario, new Set()).get(r.scenario)!).add(r.size);
  const grown = [...sizes].filter(([, s]) => s.size >= 2).map(([name]) => name);
  const latency = rows
    .filter((r) => r.target === "gateway" && r.connections === 10 && grown.includes(r.scenario))
    .flatMap((r) => [
      { scenario: r.scenario, size: r.size, percentile: "p50", ms: r.p50 },
      { scenario: r.scenario, size: r.size, percentile: "p99", ms: r.p99 },
    ]);
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    // Each chart its own colours and legend (targets above, scenarios below).
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
    vconcat: [
      {
        title: `Requests/s at 10 connections, ${fullSize.toLocaleString("en-US")} bookings: gateway beside the floor`,
        data: { values: throughput },
        mark: "bar",
        width: 520,
        encoding: {
          y: { field: "scenario", type: "nominal", title: null, axis: { labelLimit: 360 } },
          yOffset: { field: "target" },
          x: { field: "rps", type: "quantitative", title: "requests/s" },
          color: { field: "target", type: "nominal", title: "answered by" },
        },
      },
      {
        title: "Gateway latency against data size (10 connections)",
        data: { values: latency },
        mark: { type: "line", point: true },
        width: 520,
        encoding: {
          x: { field: "size", type: "quantitative", scale: { type: "log" }, title: "bookings" },
          y: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "ms" },
          color: { field: "scenario", type: "nominal", title: null, legend: { labelLimit: 320 } },
          strokeDash: { field: "percentile", type: "nominal" },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
