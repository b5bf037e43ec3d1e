import { svg } from './dom.js';

// A 0-100 % sparkline: a line and the area under it, in the data's own coordinates (the
// viewBox), with a stroke that does not scale, so an update is two setAttribute calls.

export const SPARK_POINTS = 60;

export function createSparkline(kind) {
  const root = svg('svg', { class: `spark spark-${kind}`, viewBox: `0 0 ${SPARK_POINTS - 1} 100`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  const area = svg('polygon', { points: '' });
  const line = svg('polyline', { 'vector-effect': 'non-scaling-stroke', points: '' });
  root.append(area, line);
  return { root, area, line };
}

/** Draws `values` (newest last) right-aligned, so a young history grows from the right. */
export function drawSparkline(spark, values) {
  if (values.length === 0) return;
  if (values.length === 1) values = [values[0], values[0]]; // one point draws nothing: a short flat line
  const offset = SPARK_POINTS - values.length;
  let points = '';
  for (let i = 0; i < values.length; i++) points += `${offset + i},${(100 - values[i]).toFixed(1)} `;
  spark.line.setAttribute('points', points);
  spark.area.setAttribute('points', `${offset},100 ${points}${SPARK_POINTS - 1},100`);
}
