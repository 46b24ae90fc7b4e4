// Words for a match, in one place: the alt text of its picture, and what to say when the
// archive's owner gave no credit, licence or source.

export const NONE_GIVEN = 'None given';
// The mark of a match found flipped left to right (and so shown flipped); index.html's
// Explore legend explains it.
export const MIRRORED_SIGN = '↔';

/** "at 3.2 s" for a video frame, '' for a photo. */
export function momentOf(match) {
  const time = match.frame_time;
  return time === null || time === undefined ? '' : `at ${Number(time).toFixed(1)} s`;
}

/** The picture described for a screen reader, e.g. "Match 2: the person in beach.mp4 at
 * 3.2 s, shown mirrored, distance 0.041" (never the pose's hash id). */
export function describeMatch(match, rank = null) {
  const where = match.file ? `the person in ${match.file}` : 'a person from the archive';
  const parts = [rank === null ? where : `Match ${rank + 1}: ${where}`];
  const moment = momentOf(match);
  if (moment) parts[0] += ` ${moment}`;
  if (match.mirrored) parts.push('shown mirrored');
  if (typeof match.distance === 'number') parts.push(`distance ${match.distance.toFixed(3)}`);
  return parts.join(', ');
}
