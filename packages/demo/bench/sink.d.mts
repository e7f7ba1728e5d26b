export function startSink(): Promise<{ url: string; traceExports: () => number; close: () => void }>;
