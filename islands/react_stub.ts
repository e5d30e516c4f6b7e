/**
 * What Finch's Connect SDK imports from React, for the browser bundle. The SDK's React
 * hook (`useFinchConnect`) is the only user of these and the island never calls it: it
 * calls `FinchConnect.initialize`. A stub rather than preact/hooks keeps the SDK's chunk
 * free of shared code, so loading the page needs one script, and the SDK's chunk is
 * fetched only when someone opens Connect.
 */
function unavailable(): never {
  throw new Error("React hooks are not available in the portal's islands");
}

export const useRef = unavailable;
export const useEffect = unavailable;
