/** What went wrong talking to a tracker, as a code a caller (and the API) can act on. */
export type TrackerErrorCode =
  /** The tracker refused the credential (a wrong, expired or under-scoped token). */
  | 'tracker_unauthorized'
  /** The thing asked for is not there, or the credential may not see it. */
  | 'tracker_not_found'
  /** Too many requests: `retryAfterMs` says when the tracker allows the next. */
  | 'tracker_rate_limited'
  /** The tracker refused the request as it was (a 4xx other than the above). */
  | 'tracker_rejected'
  /** No answer, a cut answer, or a server error on the tracker's side. */
  | 'tracker_unavailable';

/** A tracker's failure, with the tracker's own words in the message; never the credential. */
export class TrackerError extends Error {
  override readonly name = 'TrackerError';
  constructor(
    readonly code: TrackerErrorCode,
    message: string,
    readonly details: { provider: string; status?: number; retryAfterMs?: number },
  ) {
    super(message);
  }
}
