// Settings shared by every provider SDK client.

/**
 * No SDK retries. Every retry is a paid call, and it would spend the search's whole time budget
 * on one provider; the fallback chain is our retry: a failed call moves on to the next provider,
 * and the user gets keyword results when all fail.
 */
export const SDK_MAX_RETRIES = 0;

/** The SDKs refuse to start without a key; the LLM simulator accepts any. Never a real key. */
export const SIMULATOR_API_KEY = 'sim-key';
