/** `/orders/7?token=…` → `/orders/7`: error messages never echo a query string (it may hold secrets). */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
