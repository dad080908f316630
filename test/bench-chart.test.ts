import { spawnSync } from "node:child_process";
import path from "node:path";

/**
 * The benchmark's chart (bench/chart.ts): Vega-Lite rendered to SVG in Node, from result rows like
 * the runner's. Run in a plain Node process (vega is an ES module; jest's module system does not load it).
 */
const CHART = path.join(__dirname, "..", "dist", "bench", "chart.js");

describe("bench chart", () => {
  it("draws throughput per paired scenario (gateway beside floor) and latency against data size, as SVG", () => {
    const rows = [
      { scenario: "a: page 1 of 50", target: "gateway", size: 100000, connections: 10, rps: 650, p50: 13, p99: 53 },
      { scenario: "a: page 1 of 50", target: "floor", size: 100000, connections: 10, rps: 732, p50: 12, p99: 38 },
      { scenario: "a: page 1 of 50", target: "gateway", size: 10000, connections: 10, rps: 543, p50: 16, p99: 55 },
      { scenario: "a: page 1 of 50", target: "gateway", size: 1000000, connections: 10, rps: 436, p50: 20, p99: 72 },
      { scenario: "e: booking(id) unpaired", target: "gateway", size: 100000, connections: 10, rps: 2029, p50: 4, p99: 15 },
    ];
    const script = `require(${JSON.stringify(CHART)}).benchChartSvg(${JSON.stringify(rows)}, 100000).then((svg) => process.stdout.write(svg), (e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith("<svg")).toBe(true);
    expect(r.stdout).toContain("a: page 1 of 50");
    expect(r.stdout).toContain("floor");
    expect(r.stdout).toContain("Gateway latency against data size");
    // Only scenarios the floor answered are in the throughput chart.
    expect(r.stdout).not.toContain("e: booking(id) unpaired");
  });
});
