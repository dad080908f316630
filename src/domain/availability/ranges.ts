/**
 * Half-open time ranges [start, end) in epoch milliseconds, and the set operations the availability
 * rules need. Every function takes and returns ranges sorted by start, merged (no two touch or
 * overlap), except `merge` itself, which makes them so.
 */
export interface Range {
  start: number;
  end: number;
}

/** Sorts, drops empty ranges and merges those that overlap or touch (one ends where the next starts). */
export function merge(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** `ranges` minus `cuts` (both merged). */
export function subtract(ranges: readonly Range[], cuts: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const r of ranges) {
    let start = r.start;
    while (j < cuts.length && cuts[j].end <= start) j += 1;
    let k = j;
    while (k < cuts.length && cuts[k].start < r.end) {
      if (cuts[k].start > start) out.push({ start, end: cuts[k].start });
      start = Math.max(start, cuts[k].end);
      k += 1;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** The intersection of two merged lists. */
export function intersect(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i].start, b[j].start);
    const end = Math.min(a[i].end, b[j].end);
    if (start < end) out.push({ start, end });
    if (a[i].end < b[j].end) i += 1;
    else j += 1;
  }
  return out;
}

/** The union of several merged lists. */
export function union(lists: ReadonlyArray<readonly Range[]>): Range[] {
  return merge(lists.flat());
}

/** True when one range of the merged list contains all of [start, end). */
export function covers(ranges: readonly Range[], start: number, end: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start <= start) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = ranges[hi];
  return r !== undefined && r.start <= start && end <= r.end;
}
