export function metricSum(url: string, name: string, match?: string): Promise<number>;
